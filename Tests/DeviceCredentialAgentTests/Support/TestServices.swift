import DeviceCredential
import Foundation

/// The real services the tests run against, as Tests/scripts/with-services.sh exports them.
enum TestServices {
    struct Missing: Error, CustomStringConvertible {
        var variable: String
        var description: String {
            "\(variable) is not set: run the tests inside Tests/scripts/with-services.sh --server BIN (make test does)"
        }
    }

    static func require(_ variable: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
            throw Missing(variable: variable)
        }
        return value
    }

    static func backend() throws -> Backend {
        Backend(
            apiURL: try require("DEVICECRED_TEST_API_URL"), tenantID: try require("DEVICECRED_TEST_TENANT_ID"),
            secretKey: try require("DEVICECRED_TEST_SECRET_KEY"))
    }

    /// Where the built executables are: next to the test runner, or DEVICECRED_BIN_DIR.
    static func binary(_ name: String) throws -> String {
        let runner = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        let directory =
            ProcessInfo.processInfo.environment["DEVICECRED_BIN_DIR"] ?? runner.deletingLastPathComponent().path
        let path = directory + "/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestFailure("\(path) is missing: build it first (swift build), or set DEVICECRED_BIN_DIR")
        }
        return path
    }

    /// The devicecred-server snapshot used by tests that need their own server.
    static func serverBinary() throws -> String {
        let candidates = [
            ProcessInfo.processInfo.environment["DEVICECRED_SERVER_BIN"], "/work/notes/bin/devicecred-server",
            try? binary("devicecred-server"),
        ]
        for case let path? in candidates where FileManager.default.isExecutableFile(atPath: path) { return path }
        throw TestFailure("no devicecred-server binary: set DEVICECRED_SERVER_BIN")
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A throwaway HOME/XDG tree for one agent: its own profiles, file keys and lock.
final class TestHome: Sendable {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("agent-test-\(UUID().uuidString)").path
        for directory in [config, data, runtime] {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    var config: String { root + "/config" }
    var data: String { root + "/data" }
    var runtime: String { root + "/run" }
    var profileStore: ProfileStore { ProfileStore(directory: config + "/devicecred") }
    var fileKeyStore: FileKeyStore { FileKeyStore(directory: data + "/devicecred/keys") }

    /// The environment an agent process runs with: this home's directories, the test's D-Bus.
    func environment(extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = config
        environment["XDG_DATA_HOME"] = data
        environment["XDG_RUNTIME_DIR"] = runtime
        environment.merge(extra) { $1 }
        return environment
    }
}
