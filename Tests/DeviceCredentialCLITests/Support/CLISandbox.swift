import DeviceCredentialTestSupport
import Foundation
import Testing

/// One test's own profile list and file key store (its own XDG_CONFIG_HOME and XDG_DATA_HOME), in which
/// it runs the built `devicecred`. The session bus and keyring are the shared ones unless overridden.
final class CLISandbox {
    let directory: URL
    let server: ServerAPI
    var environment: [String: String]

    init(server: ServerAPI? = nil) throws {
        self.server = try server ?? TestServices.server()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            TestEnvironment.uniqueName("devicecred-cli-test"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        for name in ["AUTHSIGNAL_API_URL", "AUTHSIGNAL_TENANT_ID", "AUTHSIGNAL_SECRET_KEY"] {
            environment[name] = nil
        }
        environment["XDG_CONFIG_HOME"] = directory.appendingPathComponent("config").path
        environment["XDG_DATA_HOME"] = directory.appendingPathComponent("data").path
        environment["XDG_STATE_HOME"] = directory.appendingPathComponent("state").path
        // Never the machine's journal: a test that wants the reports binds its own socket.
        environment["DEVICECRED_JOURNAL_SOCKET"] = directory.appendingPathComponent("no-journal").path
        self.environment = environment
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// The history of answers `devicecred` writes in this sandbox.
    var historyPath: String { directory.appendingPathComponent("state/devicecred/history.jsonl").path }

    /// The options that point a new profile at the test server.
    var serverOptions: [String] { ["--api-url", server.apiURL, "--tenant-id", server.tenantID] }

    /// Runs `devicecred` with `arguments`.
    func run(_ arguments: String..., standardInput: String? = nil, environment extra: [String: String] = [:])
        async throws -> ProcessResult
    {
        try await run(arguments, standardInput: standardInput, environment: extra)
    }

    func run(_ arguments: [String], standardInput: String? = nil, environment extra: [String: String] = [:])
        async throws -> ProcessResult
    {
        try await ProcessRunner.run(
            TestEnvironment.devicecred, arguments, environment: environment.merging(extra) { $1 },
            standardInput: standardInput)
    }

    /// Writes `contents` to a file of this sandbox with `mode`, and returns its path.
    func writeFile(_ name: String, _ contents: String, mode: Int) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try #require(FileManager.default.createFile(atPath: path, contents: Data(contents.utf8)))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    /// Tracks an action for `userID` and enrolls `profile` with the token, from a 0600 token file.
    /// Returns the token (to check it never appears in any output) and the result.
    @discardableResult
    func enroll(userID: String, profile: String, extra: [String] = [], environment: [String: String] = [:])
        async throws -> (token: String, result: ProcessResult)
    {
        let token = try await server.track(userID: userID).token
        let file = try writeFile(TestEnvironment.uniqueName("token"), token + "\n", mode: 0o600)
        let result = try await run(
            ["enroll", "--token-file", file, "--profile", profile] + serverOptions + extra, environment: environment)
        return (token, result)
    }
}
