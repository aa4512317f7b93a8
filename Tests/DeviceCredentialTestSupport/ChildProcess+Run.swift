public import Foundation
import Subprocess
import SystemPackage

extension ChildProcess {
    /// Runs a short command to its end and returns its status (128 + the signal if a signal ended it) and
    /// what it printed. swift-subprocess starts it in a process group of its own; past `timeout` (or when
    /// the task is cancelled) the whole group is killed, and this throws.
    ///
    /// Its output goes to files, not pipes: a daemon it leaves behind (a tmux server) cannot hold them open.
    /// `input`: what its standard input reads (then end of file); nothing when nil.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, input: String? = nil,
        workingDirectory: String? = nil, timeout: Duration = .seconds(30)
    ) async throws -> (status: Int32, output: String, errors: String) {
        let directory = try makePrivateDirectory("dc-run")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let create = { (name: String) in
            try FileDescriptor.open(
                directory + "/" + name, .writeOnly, options: [.create, .truncate, .closeOnExec],
                permissions: .ownerReadWrite)
        }
        let (output, errors) = (try create("output"), try create("errors"))
        var options = PlatformOptions()
        options.processGroupID = 0
        options.teardownSequence = [.send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .seconds(5))]
        let configuration = Configuration(
            executable: .path(FilePath(executable)), arguments: Arguments(arguments),
            environment: environment.map { .custom(keyed($0)) } ?? .inherit,
            workingDirectory: workingDirectory.map { FilePath($0) }, platformOptions: options)
        let bytes = input.map { Array($0.utf8) }
        let ended = try await withThrowingTaskGroup(of: TerminationStatus?.self) { race in
            race.addTask {
                try await Subprocess.run(
                    configuration, input: .inputWriter,
                    output: .fileDescriptor(output, closeAfterSpawningProcess: true),
                    error: .fileDescriptor(errors, closeAfterSpawningProcess: true)
                ) { execution in
                    // A command that does not read its input: fine.
                    if let bytes { _ = try? await execution.standardInputWriter.write(bytes) }
                    try? await execution.standardInputWriter.finish()
                }.terminationStatus
            }
            race.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = try await race.next() ?? nil
            race.cancelAll()
            return first
        }
        guard let ended else { throw TestSupportError("\(executable) did not end within \(timeout)") }
        let status: Int32
        switch ended {
        case .exited(let code): status = code
        case .signaled(let signal): status = 128 + signal
        }
        let read = { (name: String) in (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? "" }
        return (status, read("output"), read("errors"))
    }

    private static func keyed(_ variables: [String: String]) -> [Subprocess.Environment.Key: String] {
        var keyed: [Subprocess.Environment.Key: String] = [:]
        for (name, value) in variables {
            if let key = Subprocess.Environment.Key(rawValue: name) { keyed[key] = value }
        }
        return keyed
    }
}
