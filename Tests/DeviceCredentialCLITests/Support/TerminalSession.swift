import DeviceCredentialLocking
import Foundation
import Subprocess
import SystemPackage

/// `devicecred` on a pseudo-terminal of its own, through script(1), driven like a person at a
/// keyboard: wait until a prompt shows, then type a line. What the terminal showed is the transcript.
/// swift-subprocess runs script(1) in a process group of its own, from a task of its own.
final class TerminalSession: Sendable {
    private let keyboard: FileDescriptor
    private let screen = Screen()
    private let pid: Int32
    private let finished: Task<Int32, any Error>

    init(_ arguments: [String], environment: [String: String]) async throws {
        let command = ([TestEnvironment.devicecred] + arguments).map(Self.quote).joined(separator: " ")
        var options = PlatformOptions()
        options.processGroupID = 0
        var variables: [Subprocess.Environment.Key: String] = [:]
        for (name, value) in environment {
            if let key = Subprocess.Environment.Key(rawValue: name) { variables[key] = value }
        }
        let configuration = Configuration(
            executable: .path("/usr/bin/script"), arguments: ["-qec", command, "/dev/null"],
            environment: .custom(variables), platformOptions: options)
        let keys = try FileDescriptor.pipe(options: .closeOnExec)
        keyboard = keys.writeEnd
        let screen = self.screen
        let (started, startedSignal) = AsyncThrowingStream.makeStream(of: Int32.self)
        finished = Task {
            let result = try await Subprocess.run(
                configuration, input: .fileDescriptor(keys.readEnd, closeAfterSpawningProcess: true),
                output: .sequence, error: .combinedWithOutput
            ) { execution in
                startedSignal.yield(execution.processIdentifier.value)
                startedSignal.finish()
                for try await chunk in execution.standardOutput {
                    let text = chunk.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
                    screen.text.withLock { $0 += text }
                }
            }
            switch result.terminationStatus {
            case .exited(let code): return code
            case .signaled(let signal): return signal
            }
        }
        var iterator = started.makeAsyncIterator()
        guard let pid = try await iterator.next() else {
            try? keyboard.close()
            _ = try await finished.value  // the reason it did not start
            throw ProcessRunnerError(message: "script(1) did not start")
        }
        self.pid = pid
    }

    var transcript: String { screen.text.withLock { $0 } }

    /// Waits until the terminal shows `text` for the `occurrence`-th time (fails after 60 s).
    func waitFor(_ text: String, occurrence: Int = 1) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while transcript.components(separatedBy: text).count - 1 < occurrence {
            guard ContinuousClock.now < deadline else {
                throw ProcessRunnerError(message: "the terminal never showed \"\(text)\":\n\(transcript)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Types `line` and Enter.
    func type(_ line: String) {
        _ = try? keyboard.writeAll((line + "\n").utf8)
    }

    /// Waits for devicecred to exit (at most 60 s, then it is killed); returns its status.
    func exitStatus() async throws -> Int32 {
        let finished = self.finished
        let status = try await withThrowingTaskGroup(of: Int32?.self) { race in
            race.addTask { try await finished.value }
            race.addTask {
                try? await Task.sleep(for: .seconds(60))
                return nil
            }
            let first = try await race.next() ?? nil
            race.cancelAll()
            return first
        }
        guard let status else {
            kill(-pid, SIGKILL)
            throw ProcessRunnerError(message: "devicecred did not exit:\n\(transcript)")
        }
        return status
    }

    deinit {
        // Its group, if anything of it still runs (the id stays taken while a member lives).
        kill(-pid, SIGKILL)
        try? keyboard.close()
    }

    /// What the terminal showed so far, shared with the task that reads it.
    private final class Screen: Sendable {
        let text = Locked("")
    }

    private static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
