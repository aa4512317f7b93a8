import Foundation

/// Runs a short command to completion and returns its stdout (throws on a non-zero exit).
@discardableResult
func runCommand(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard process.terminationStatus == 0 else {
        throw TestFailure("\(executable) \(arguments.joined(separator: " ")) failed: \(text)")
    }
    return text
}

/// Locks and unlocks the test session's login keyring, as a person would (gnome-keyring's prompt-free unlock).
enum KeyringControl {
    static func lock() throws {
        let collection = try defaultCollection()
        try gdbus("/org/freedesktop/secrets", "org.freedesktop.Secret.Service.Lock", "['\(collection)']")
    }

    static func unlock() throws {
        let password = try TestServices.require("DEVICECRED_TEST_KEYRING_PASSWORD")
        let collection = try defaultCollection()
        let session = try gdbus("/org/freedesktop/secrets", "org.freedesktop.Secret.Service.OpenSession", "plain", "<''>")
        guard let sessionPath = session.split(separator: "'").dropFirst().first.map(String.init) else {
            throw TestFailure("no session path in \(session)")
        }
        let bytes = password.utf8.map { String($0) }.joined(separator: ", ")
        try gdbus(
            "/org/freedesktop/secrets",
            "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface.UnlockWithMasterPassword", collection,
            "(objectpath '\(sessionPath)', @ay [], @ay [\(bytes)], 'text/plain')")
        try gdbus(sessionPath, "org.freedesktop.Secret.Session.Close")
    }

    private static func defaultCollection() throws -> String {
        let reply = try gdbus("/org/freedesktop/secrets", "org.freedesktop.Secret.Service.ReadAlias", "default")
        guard let path = reply.split(separator: "'").dropFirst().first.map(String.init), path != "/" else {
            throw TestFailure("the test keyring has no default collection: \(reply)")
        }
        return path
    }

    @discardableResult
    private static func gdbus(_ path: String, _ method: String, _ arguments: String...) throws -> String {
        try runCommand(
            "/usr/bin/gdbus",
            ["call", "--session", "--dest", "org.freedesktop.secrets", "--object-path", path, "--method", method]
                + arguments)
    }
}

/// A devicecred-server of the test's own (snapshot binary), for tests that stop it, keep its state in a
/// file, or configure actions.
final class TestServer: @unchecked Sendable {
    let process: RunningProcess
    let apiURL: String
    let port: Int

    init(port: Int = 0, database: String? = nil, config: String? = nil) async throws {
        var arguments = ["--port", "\(port)", "--log-level", "warning"]
        if let database { arguments += ["--database", database] }
        if let config { arguments += ["--config", config] }
        process = try RunningProcess(try TestServices.serverBinary(), arguments)
        let line = try await process.stdout.waitForLine(containing: "listening on ")
        guard let url = line.components(separatedBy: "listening on ").last?.trimmingCharacters(in: .whitespaces),
            let portText = url.split(separator: ":").last?.split(separator: "/").first, let port = Int(portText)
        else { throw TestFailure("cannot read the server URL from: \(line)") }
        apiURL = url
        self.port = port
    }

    func backend() throws -> Backend {
        Backend(
            apiURL: apiURL, tenantID: "11111111-2222-4333-8444-555555555555",
            secretKey: "dev_secret_devicecred_local_only")
    }

    func stop() async throws {
        process.signal(SIGTERM)
        _ = try await process.waitForExit()
    }
}
