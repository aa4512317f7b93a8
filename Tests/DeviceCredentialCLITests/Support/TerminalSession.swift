import Foundation

/// `devicecred` on a pseudo-terminal of its own, through script(1), driven like a person at a
/// keyboard: wait until a prompt shows, then type a line. What the terminal showed is the transcript.
final class TerminalSession: @unchecked Sendable {
    private let process = Process()
    private let keyboard = Pipe()
    private let screen = Pipe()
    private let lock = NSLock()
    private var shown = ""

    init(_ arguments: [String], environment: [String: String]) throws {
        let command = ([TestEnvironment.devicecred] + arguments).map(Self.quote).joined(separator: " ")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", command, "/dev/null"]
        process.environment = environment
        process.standardInput = keyboard
        process.standardOutput = screen
        process.standardError = screen
        try process.run()
        let reading = screen.fileHandleForReading
        Thread { [weak self] in
            while true {
                let chunk = reading.availableData
                if chunk.isEmpty { return }
                guard let self else { return }
                self.lock.withLock { self.shown += String(decoding: chunk, as: UTF8.self) }
            }
        }.start()
    }

    var transcript: String { lock.withLock { shown } }

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
        keyboard.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// Waits for devicecred to exit; returns its status.
    func exitStatus() async throws -> Int32 {
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                throw ProcessRunnerError(message: "devicecred did not exit:\n\(transcript)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    private static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
