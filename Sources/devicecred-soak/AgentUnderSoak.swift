import Foundation

/// The real devicecred-agent, polling through the proxy with the command prompter, its debug log read
/// line by line as it comes: each "polled" line counts a poll (and, every 100, a reading of its resident
/// memory; while the driver samples, a reading of its descriptors and threads right after an idle poll,
/// when no profile has a request open: on a loaded machine the other profiles' polls are otherwise in
/// flight at every reading, each holding a worker thread, and one such failed CI).
final class AgentUnderSoak: @unchecked Sendable {
    private let process = Process()
    private let board: SoakBoard

    init(binary: String, arguments: [String], environment: [String: String], board: SoakBoard) throws {
        self.board = board
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.fileDescriptor
        let pid = process.processIdentifier
        Thread.detachNewThread { [board] in Self.readLog(output, pid: pid, board: board) }
    }

    var pid: Int32 { process.processIdentifier }

    /// SIGTERM, then its exit status (nil when it did not end within `timeout`; then it is killed).
    func stop(timeout: Duration) async -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        let ended = await board.wait(timeout: timeout) { $0.agentExited }
        guard ended else {
            kill(pid, SIGKILL)
            return nil
        }
        process.waitUntilExit()
        return process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
    }

    private static func readLog(_ descriptor: Int32, pid: Int32, board: SoakBoard) {
        var partial: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            guard count > 0 else { break }
            partial += buffer[..<count]
            while let newline = partial.firstIndex(of: 10) {
                handle(String(decoding: partial[..<newline], as: UTF8.self), pid: pid, board: board)
                partial.removeSubrange(...newline)
            }
        }
        board.update { $0.agentExited = true }
    }

    private static func handle(_ line: String, pid: Int32, board: SoakBoard) {
        let outcome = line.hasSuffix("] polled") ? metadata("outcome", in: line) ?? "?" : nil
        let profile = metadata("profile", in: line)
        let sampling = board.update { state -> (memory: Bool, quiet: Bool) in
            state.lastLines.append(line)
            if state.lastLines.count > 40 { state.lastLines.removeFirst() }
            if line.contains(" warning ") || line.contains(" error ") || line.contains(" critical ") {
                state.warnings.append(line)
            }
            if let profile, line.hasSuffix("] request") { state.busyProfiles.insert(profile) }
            guard let outcome else { return (false, false) }
            if let profile { state.busyProfiles.remove(profile) }
            state.polls += 1
            state.pollOutcomes[outcome, default: 0] += 1
            state.pollsDuring[state.mode, default: 0] += 1
            if outcome != "idle" && outcome != "pending" { state.failedPollsDuring[state.mode, default: 0] += 1 }
            let quiet = state.quietSamples != nil && outcome == "idle" && state.busyProfiles.isEmpty
            return (state.polls % 100 == 0, quiet)
        }
        // Read here, before the next line: the agent is between polls, waiting its interval.
        if sampling.memory, let resident = ProcessFigures.residentKilobytes(of: pid) {
            board.update { $0.residentKB.append(($0.polls, resident)) }
        }
        if sampling.quiet, let descriptors = ProcessFigures.descriptors(of: pid),
            let threads = ProcessFigures.threads(of: pid)
        {
            let pooled = ProcessFigures.socketPairEnds(of: pid)
            let figures = QuietFigures(
                descriptors: descriptors - pooled, pooledDescriptors: pooled,
                descriptorTargets: ProcessFigures.descriptorTargets(of: pid),
                threads: threads.all - threads.idleWorkers,
                idleWorkers: threads.idleWorkers, otherThreads: threads.others)
            board.update { $0.quietSamples?.append(figures) }
        }
    }

    /// `name=value` from a StreamLogHandler line.
    private static func metadata(_ name: String, in line: String) -> String? {
        guard let range = line.range(of: " \(name)=") else { return nil }
        return String(line[range.upperBound...].prefix { $0 != " " })
    }
}
