import DeviceCredentialTestSupport
import Foundation

/// What a finished process left behind.
struct ProcessResult: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String

    /// Everything it printed, for "never appears in any output" checks.
    var allOutput: String { stdout + stderr }

    var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }

    /// The one JSON document `--json` printed on standard output.
    func json() throws -> Any {
        try JSONSerialization.jsonObject(with: Data(stdout.utf8), options: [.fragmentsAllowed])
    }

    /// The standard output parsed as a JSON object.
    func jsonObject() throws -> [String: Any] {
        guard let object = try json() as? [String: Any] else {
            throw ProcessRunnerError(message: "standard output is not a JSON object: \(stdout)")
        }
        return object
    }

    /// `error.code` of a `--json` error document.
    func errorCode() throws -> String? {
        ((try jsonObject())["error"] as? [String: Any])?["code"] as? String
    }
}

struct ProcessRunnerError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Runs executables to completion without blocking a thread, through the test support's one runner
/// (swift-subprocess): output goes to files (no pipe can fill up); a hung one is killed with its group.
enum ProcessRunner {
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String], standardInput: String? = nil,
        workingDirectory: String? = nil
    ) async throws -> ProcessResult {
        let result = try await ChildProcess.run(
            executable, arguments, environment: environment, input: standardInput, workingDirectory: workingDirectory,
            timeout: .seconds(120))
        return ProcessResult(status: result.status, stdout: result.output, stderr: result.errors)
    }
}
