import Foundation
import Testing

/// The services `Tests/scripts/with-services.sh` started, and where the built executables are.
/// A missing variable fails the test with a message that says how to run it; nothing is skipped.
enum TestEnvironment {
    static func variable(_ name: String) throws -> String {
        let value = ProcessInfo.processInfo.environment[name] ?? ""
        try #require(
            !value.isEmpty,
            """
            \(name) is not set: run the CLI tests inside the services, e.g.
            swift build --build-tests && Tests/scripts/with-services.sh --server /path/to/devicecred-server \
            -- swift test --skip-build --filter DeviceCredentialCLITests
            """)
        return value
    }

    static func apiURL() throws -> String { try variable("DEVICECRED_TEST_API_URL") }
    static func tenantID() throws -> String { try variable("DEVICECRED_TEST_TENANT_ID") }
    static func secretKey() throws -> String { try variable("DEVICECRED_TEST_SECRET_KEY") }

    /// The build's bin directory: where the test runner lives, unless DEVICECRED_BIN_DIR says otherwise.
    static var binDirectory: String {
        if let override = ProcessInfo.processInfo.environment["DEVICECRED_BIN_DIR"], !override.isEmpty {
            return override
        }
        let runner = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        var directory = URL(fileURLWithPath: runner).deletingLastPathComponent()
        // On Linux the runner may be .build/debug/Package.xctest; the executables sit beside it.
        if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
        return directory.path
    }

    static var devicecred: String { binDirectory + "/devicecred" }

    /// A devicecred-server to start with a configuration of a test's own: DEVICECRED_TEST_SERVER_BIN, else
    /// the one built next to the test runner.
    static func serverExecutable() throws -> String {
        let path =
            ProcessInfo.processInfo.environment["DEVICECRED_TEST_SERVER_BIN"].flatMap { $0.isEmpty ? nil : $0 }
            ?? binDirectory + "/devicecred-server"
        try #require(
            FileManager.default.isExecutableFile(atPath: path),
            "no devicecred-server at \(path): build it, or set DEVICECRED_TEST_SERVER_BIN")
        return path
    }

    /// The package root, for the scripts and docs tests read.
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    /// A name no other test uses, so tests can run in parallel against one server and one keyring.
    static func uniqueName(_ prefix: String) -> String {
        prefix + "-" + UUID().uuidString.lowercased().prefix(12)
    }
}
