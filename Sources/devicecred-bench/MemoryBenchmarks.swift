import DeviceCredential
import Foundation
import PollMemoryProbeOutput

/// Memory per poll (issue 17), for one profile whose key is in the session's Secret Service (the default
/// store, and the path that leaked): resident memory after 1,000 and after 10,000 polls (default; set
/// DEVICECRED_BENCH_MEMORY_POLLS for another end), and the slope between them, for
/// - the release `devicecred-agent` at its shortest interval (0.05 s), measured from outside as a person would;
/// - the library's `getChallenge` in a loop in one process (poll-memory-probe), as an embedding app polls,
///   with its exact heap in use beside the resident set.
/// Goal: no growth after warm-up (well under 1 MB between the two readings).
enum MemoryBenchmarks {
    static let warmUp = 1000
    static var total: Int {
        max(warmUp + 1000, Int(ProcessInfo.processInfo.environment["DEVICECRED_BENCH_MEMORY_POLLS"] ?? "") ?? 10_000)
    }

    static func run(server: BenchServer) async throws -> [BenchmarkResult] {
        let sandbox = try AgentSandbox(server: server)
        defer { sandbox.remove() }
        let profile = "memory-bench"
        _ = try await sandbox.enroll(keyStore: .secretService, profile: profile)
        return try await agentFigures(sandbox) + libraryFigures(sandbox, profile: profile)
    }

    private static func agentFigures(_ sandbox: AgentSandbox) async throws -> [BenchmarkResult] {
        let agent = try sandbox.startAgent(interval: "0.05", command: "exit 2")
        defer { agent.stop() }
        // A poll takes well under 0.2 s even on a loaded machine; the bound only stops a stuck agent.
        try await agent.waitForPolls(warmUp, timeout: Double(warmUp) * 0.2)
        let (firstPolls, firstRSS, firstPrivate) = (agent.polls, try agent.status("VmRSS"), try agent.status("RssAnon"))
        try await agent.waitForPolls(total, timeout: Double(total) * 0.2)
        let (lastPolls, lastRSS, lastPrivate) = (agent.polls, try agent.status("VmRSS"), try agent.status("RssAnon"))
        let growth = lastRSS - firstRSS
        return [
            BenchmarkResult(
                name: "agent RSS after \(firstPolls) polls", value: firstRSS / 1024, unit: "MB",
                note: "Secret Service key, --interval 0.05; private (RssAnon) \(megabytes(firstPrivate)) MB"),
            BenchmarkResult(
                name: "agent RSS after \(lastPolls) polls", value: lastRSS / 1024, unit: "MB",
                note: "private (RssAnon) \(megabytes(lastPrivate)) MB"),
            BenchmarkResult(
                name: "agent RSS growth per poll", value: growth * 1024 / Double(lastPolls - firstPolls), unit: "bytes",
                note: "\(String(format: "%+.0f", growth)) kB between the two readings (goal: under 1 MB); "
                    + "private \(String(format: "%+.0f", lastPrivate - firstPrivate)) kB"),
        ]
    }

    private static func libraryFigures(_ sandbox: AgentSandbox, profile: String) async throws -> [BenchmarkResult] {
        let output = try runProbe(["library", profile, "\(warmUp)", "\(total)"], environment: sandbox.environment)
        let readings = output.split(separator: "\n").compactMap { ProbeCheckpoint(line: $0) }
        guard readings.count == 2, readings[1].polls > readings[0].polls else {
            throw BenchFailure("unexpected poll-memory-probe output: \(output)")
        }
        let (first, last) = (readings[0], readings[1])
        let polls = Double(last.polls - first.polls)
        let growth = Double(last.residentKilobytes - first.residentKilobytes)
        let heapGrowth = Double(last.heapBytes - first.heapBytes)
        return [
            BenchmarkResult(
                name: "library getChallenge loop RSS after \(first.polls) / \(last.polls) calls",
                value: Double(last.residentKilobytes) / 1024, unit: "MB",
                note:
                    "after \(first.polls): \(megabytes(Double(first.residentKilobytes))) MB; one process, Secret Service key"
            ),
            BenchmarkResult(
                name: "library getChallenge loop RSS growth per call", value: growth * 1024 / polls, unit: "bytes",
                note: "\(String(format: "%+.0f", growth)) kB between the two readings (goal: under 1 MB)"),
            BenchmarkResult(
                name: "library getChallenge loop heap growth per call", value: heapGrowth / polls, unit: "bytes",
                note: "malloc'd bytes in use (mallinfo2), \(String(format: "%+.0f", heapGrowth / 1024)) kB in all"),
        ]
    }

    private static func runProbe(_ arguments: [String], environment: [String: String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try AgentSandbox.sibling("poll-memory-probe"))
        process.arguments = arguments
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchFailure("poll-memory-probe \(arguments.joined(separator: " ")) failed")
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func megabytes(_ kilobytes: Double) -> String { String(format: "%.1f", kilobytes / 1024) }
}
