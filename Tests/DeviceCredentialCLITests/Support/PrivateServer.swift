import Foundation
import Testing

/// A devicecred-server of one test's own, for a configuration the shared one does not have (number
/// matching). Ready once it printed its URL; stopped by the test.
final class PrivateServer: @unchecked Sendable {
    let api: ServerAPI
    private let process: Process
    private let directory: URL

    private init(api: ServerAPI, process: Process, directory: URL) {
        self.api = api
        self.process = process
        self.directory = directory
    }

    static func start(numberMatchingAction action: String) async throws -> PrivateServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            TestEnvironment.uniqueName("devicecred-server"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("actions.json")
        try Data(#"{"actions": {"\#(action)": {"defaultOutcome": "CHALLENGE", "numberMatching": true}}}"#.utf8)
            .write(to: config)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try TestEnvironment.serverExecutable())
        process.arguments = ["--port", "0", "--config", config.path, "--log-level", "warning"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // It prints "devicecred-server listening on http://HOST:PORT/v1" once it listens.
        let line = await BlockingIO.firstLine(of: output.fileHandleForReading)
        guard let url = line.split(separator: " ").last.map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }),
            url.hasPrefix("http")
        else {
            kill(process.processIdentifier, SIGKILL)
            throw ProcessRunnerError(message: "devicecred-server did not start: \(line)")
        }
        let api = ServerAPI(
            baseURL: url, tenantID: try TestEnvironment.tenantID(), secretKey: try TestEnvironment.secretKey())
        return PrivateServer(api: api, process: process, directory: directory)
    }

    /// Stops the server (it is reaped in the background; nothing waits on the test's threads).
    func stop() {
        // SIGKILL: SIGTERM is blocked in a child spawned from a test worker thread.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }
}
