import DeviceCredentialTestSupport
import Foundation

/// Runs a short command to completion and returns its stdout (throws on a non-zero exit, with its stderr).
/// `capture: false` for tmux, whose clients hand their output to a long-lived server: their stdout
/// goes to a file read once they exit.
@discardableResult
func runCommand(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil, capture: Bool = true
) async throws -> String {
    guard capture else { return try await runDetaching(executable, arguments) }
    let process = try await RunningProcess(executable, arguments, environment: environment)
    let status = try await process.waitForExit()
    try await process.stdout.waitUntilClosed()
    let text = process.stdout.lines.joined(separator: "\n")
    guard status == 0 else {
        let errors = process.stderr.lines.joined(separator: "\n")
        throw TestFailure("\(executable) \(arguments.joined(separator: " ")) failed (\(status)): \(text) \(errors)")
    }
    return text
}

/// Runs a command that leaves a daemon behind (tmux new-session), and returns its standard output.
private func runDetaching(_ executable: String, _ arguments: [String]) async throws -> String {
    let result = try await ChildProcess.run(executable, arguments)
    guard result.status == 0 else {
        throw TestFailure(
            "\(executable) \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.errors)")
    }
    return result.output
}

/// Runs a command to its end, blocking (for cleanup in a deinit).
func runBlocking(_ executable: String, _ arguments: [String]) {
    _ = try? ChildProcess(executable, arguments).waitUntilExit()
}
