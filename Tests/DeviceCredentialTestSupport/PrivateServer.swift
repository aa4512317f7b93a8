import Foundation

/// A devicecred-server of one test's own, for what the shared one cannot do: another configuration
/// (number matching), state kept in a file, being stopped and started again. Ready once it printed the
/// URL it listens on.
public final class PrivateServer: @unchecked Sendable {
    public let api: ServerAPI
    public let port: Int
    private let process: ChildProcess
    private let directory: String

    public var apiURL: String { api.apiURL }

    /// Starts the server on `port` (0: a free one), in memory unless `database` is given, with number
    /// matching for `numberMatchingAction` if given, and challenges that can be answered for
    /// `challengeTTL` seconds when given, and credentials that expire `credentialLifetime` seconds after
    /// enrollment or a reset when given.
    public init(
        port: Int = 0, database: String? = nil, numberMatchingAction: String? = nil, challengeTTL: Double? = nil,
        credentialLifetime: Double? = nil
    ) async throws {
        directory = try makePrivateDirectory("dc-server")
        var arguments = ["--port", "\(port)", "--log-level", "warning"]
        if let challengeTTL { arguments += ["--challenge-ttl", "\(challengeTTL)"] }
        if let credentialLifetime { arguments += ["--credential-lifetime", "\(credentialLifetime)"] }
        if let database { arguments += ["--database", database] }
        if let numberMatchingAction {
            let config = directory + "/actions.json"
            try Data(
                #"{"actions": {"\#(numberMatchingAction)": {"defaultOutcome": "CHALLENGE", "numberMatching": true}}}"#
                    .utf8
            ).write(to: URL(fileURLWithPath: config))
            arguments += ["--config", config]
        }
        let log = directory + "/server.log"
        process = try ChildProcess(
            try TestBinaries.server(), arguments, standardOutput: .pipe, standardError: .file(log))
        do {
            // It prints "devicecred-server listening on http://HOST:PORT/v1" once it listens.
            let line = try await process.waitForLine(containing: "listening on ")
            guard let url = line.components(separatedBy: "listening on ").last?.trimmingCharacters(in: .whitespaces),
                let portText = url.split(separator: ":").last?.split(separator: "/").first, let port = Int(portText)
            else { throw TestSupportError("cannot read the server URL from: \(line)") }
            self.port = port
            let environment = ProcessInfo.processInfo.environment
            api = ServerAPI(
                apiURL: url,
                tenantID: environment["DEVICECRED_TEST_TENANT_ID"] ?? "11111111-2222-4333-8444-555555555555",
                secretKey: environment["DEVICECRED_TEST_SECRET_KEY"] ?? "dev_secret_devicecred_local_only")
        } catch {
            process.stop()
            let errors = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: directory)
            throw TestSupportError("devicecred-server did not start: \(error) \(errors)")
        }
    }

    deinit { stop() }

    /// Kills it (SIGKILL: a database survives that as it survives any crash) and returns once it ended, so
    /// a server started next on the same database or port finds them free.
    public func stop() {
        process.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
