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

/// Runs executables to completion without blocking a thread: output goes to files (no pipe can fill
/// up), and the exit is awaited through the termination handler.
enum ProcessRunner {
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String], standardInput: String? = nil,
        workingDirectory: String? = nil
    ) async throws -> ProcessResult {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("devicecred-run-\(UUID())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout")
        let errURL = scratch.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = out
        process.standardError = err
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        let input = Pipe()
        process.standardInput = standardInput == nil ? FileHandle.nullDevice : input

        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
            if let standardInput {
                input.fileHandleForWriting.write(Data(standardInput.utf8))
                try? input.fileHandleForWriting.close()
            }
        }
        return ProcessResult(
            status: status,
            stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }
}
