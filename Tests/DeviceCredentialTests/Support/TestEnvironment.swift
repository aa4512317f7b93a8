import DeviceCredentialTestSupport
import Foundation
import Testing

/// What the tests read from the environment `make test` (Tests/scripts/with-services.sh) sets up.
enum TestEnvironment {
    static func variable(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The session bus with gnome-keyring; fails the test (never skips) when it is missing.
    static func requireKeyring(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(
            variable("DBUS_SESSION_BUS_ADDRESS"),
            "DBUS_SESSION_BUS_ADDRESS is not set: run the tests with `make test`, or inside dbus-run-session with gnome-keyring-daemon --unlock --components=secrets",
            sourceLocation: sourceLocation)
    }

    /// The password of the test login keyring (with-services.sh exports it), empty when not given.
    static var keyringPassword: String { variable("DEVICECRED_TEST_KEYRING_PASSWORD") ?? "" }
}

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/devicecred-tests.XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: try #require(created))
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs a program to completion (through the test support's runner, swift-subprocess) and returns its exit
/// status and output (standard output, then standard error).
@discardableResult
func runProgram(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil
) async throws -> (status: Int32, output: String) {
    let result = try await ChildProcess.run(executable, arguments, environment: environment, timeout: .seconds(300))
    return (result.status, result.output + result.errors)
}
