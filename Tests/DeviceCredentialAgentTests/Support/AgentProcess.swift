import DeviceCredentialTestSupport
import Foundation

/// A running devicecred-agent (or any helper process) whose stderr and stdout are collected line by line.
final class RunningProcess: @unchecked Sendable {
    let process = Process()
    let stderr = LineLog()
    let stdout = LineLog()
    private let exited = LineLog()
    private let stopSignal: Int32

    /// Starts `executable`; `stopSignal` is what ends it when the test is done with it (helpers that
    /// need no clean exit get SIGKILL).
    init(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, stdin: FileHandle? = nil,
        stopSignal: Int32 = SIGTERM
    ) throws {
        self.stopSignal = stopSignal
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let stdin { process.standardInput = stdin } else { process.standardInput = FileHandle.nullDevice }
        let errorPipe = Pipe()
        let outputPipe = Pipe()
        process.standardError = errorPipe
        process.standardOutput = outputPipe
        for (pipe, log) in [(errorPipe, stderr), (outputPipe, stdout)] {
            pipe.fileHandleForReading.readabilityHandler = { handle in
                let data = handle.availableData
                if data.isEmpty {
                    handle.readabilityHandler = nil
                    log.close()
                } else {
                    log.append(data)
                }
            }
        }
        process.terminationHandler = { [exited] process in
            exited.append(Data("exit \(process.terminationStatus)\n".utf8))
        }
        try process.run()
    }

    /// Starts the built devicecred-agent in `home`.
    static func agent(_ arguments: [String], home: TestHome, environment extra: [String: String] = [:]) throws
        -> RunningProcess
    {
        try RunningProcess(
            try TestBinaries.path("devicecred-agent"), arguments, environment: home.environment(extra: extra))
    }

    var pid: Int32 { process.processIdentifier }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the process to end and returns its exit status.
    func waitForExit(timeout: Duration = .seconds(20)) async throws -> Int32 {
        let line = try await exited.waitForLine(containing: "exit ", timeout: timeout)
        return Int32(line.dropFirst(5)) ?? -1
    }

    /// Ends the process (SIGTERM, then SIGKILL) if it still runs.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, stopSignal)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(20000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit {
        stop()
    }
}
