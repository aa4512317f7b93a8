import DeviceCredentialTestSupport
import Foundation
import Subprocess
import SystemPackage

/// A running devicecred-agent (or any helper process) whose stderr and stdout are collected line by line.
///
/// swift-subprocess runs it, from a task of its own, in a process group of its own; nothing of the test
/// runner's stays open in it but its standard streams (a helper holding another test's pipe would keep
/// that pipe from ever reaching end of file), and its output is collected until it exits even when a
/// child it left behind still holds the pipes.
final class RunningProcess: Sendable {
    let stderr = LineLog()
    let stdout = LineLog()
    let pid: Int32
    private let exited = LineLog()
    private let stopSignal: Int32

    /// Starts `executable`; `stopSignal` is what ends it when the test is done with it (helpers that
    /// need no clean exit get SIGKILL). Returns once it runs.
    init(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, stdin: FileHandle? = nil,
        stopSignal: Int32 = SIGTERM
    ) async throws {
        self.stopSignal = stopSignal
        var options = PlatformOptions()
        options.processGroupID = 0
        let configuration = Configuration(
            executable: .path(FilePath(executable)), arguments: Arguments(arguments),
            environment: environment.map { .custom(Self.keyed($0)) } ?? .inherit, platformOptions: options)
        let input: FileDescriptorInput =
            if let stdin {
                .fileDescriptor(FileDescriptor(rawValue: stdin.fileDescriptor), closeAfterSpawningProcess: false)
            } else {
                .fileDescriptor(
                    try FileDescriptor.open("/dev/null", .readOnly, options: .closeOnExec),
                    closeAfterSpawningProcess: true)
            }
        let (stdout, stderr, exited) = (self.stdout, self.stderr, self.exited)
        pid = try await withCheckedThrowingContinuation { (started: CheckedContinuation<Int32, any Error>) in
            Task {
                var running = false
                do {
                    let result = try await Subprocess.run(
                        configuration, input: input, output: .sequence, error: .sequence
                    ) { execution in
                        running = true
                        started.resume(returning: execution.processIdentifier.value)
                        await withTaskGroup(of: Void.self) { streams in
                            streams.addTask { await Self.collect(execution.standardOutput, into: stdout) }
                            streams.addTask { await Self.collect(execution.standardError, into: stderr) }
                        }
                    }
                    // As Foundation's Process had it: the exit status, or the signal that ended it.
                    switch result.terminationStatus {
                    case .exited(let code): exited.append(Data("exit \(code)\n".utf8))
                    case .signaled(let signal): exited.append(Data("exit \(signal)\n".utf8))
                    }
                } catch {
                    if !running { started.resume(throwing: error) }
                    stdout.close()
                    stderr.close()
                    exited.append(Data("exit -1\n".utf8))
                }
            }
        }
    }

    /// Starts the built devicecred-agent in `home`.
    static func agent(_ arguments: [String], home: TestHome, environment extra: [String: String] = [:]) async throws
        -> RunningProcess
    {
        try await RunningProcess(
            try TestBinaries.path("devicecred-agent"), arguments, environment: home.environment(extra: extra))
    }

    /// Whether it still runs: not yet exited (peeked at without reaping it, which swift-subprocess does).
    var isRunning: Bool {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else { return false }
        return info._sifields._sigchld.si_pid == 0
    }

    func signal(_ number: Int32) { kill(pid, number) }

    /// Waits for the process to end and returns its exit status.
    func waitForExit(timeout: Duration = .seconds(20)) async throws -> Int32 {
        let line = try await exited.waitForLine(containing: "exit ", timeout: timeout)
        return Int32(line.dropFirst(5)) ?? -1
    }

    /// Ends the process (`stopSignal`, then SIGKILL to its group) if it still runs.
    func stop() {
        guard isRunning else { return }
        kill(pid, stopSignal)
        let deadline = Date().addingTimeInterval(5)
        while isRunning && Date() < deadline { usleep(20000) }
        if isRunning { kill(-pid, SIGKILL) }
    }

    deinit {
        stop()
    }

    private static func collect(_ output: SubprocessOutputSequence, into log: LineLog) async {
        do {
            for try await chunk in output { log.append(chunk.withUnsafeBytes { Data($0) }) }
        } catch {
            // The stream ended with the process: what came is in the log.
        }
        log.close()
    }

    private static func keyed(_ variables: [String: String]) -> [Subprocess.Environment.Key: String] {
        var keyed: [Subprocess.Environment.Key: String] = [:]
        for (name, value) in variables {
            if let key = Subprocess.Environment.Key(rawValue: name) { keyed[key] = value }
        }
        return keyed
    }
}
