import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import PollMemoryProbeOutput
import Testing

/// Memory per poll (issue 17): poll-memory-probe polls a profile whose key is in the Secret Service
/// thousands of times in a process of its own (the tests running beside this one allocate in theirs), with
/// the real keyring and server, and prints its exact heap in use (mallinfo2) after a warm-up and at the end.
/// The leak this guards against (GDBus subscriptions left in the default main context) kept 990 heap bytes
/// per poll in both loops; without it the heap grows about 70 bytes per poll here, decreasing: libdispatch's
/// per-thread continuation caches filling (64 bytes each, at most two per poll, bounded), flat by 8,000 polls.
@Suite("memory per poll")
struct MemoryGrowthTests {
    /// Polls before the first reading: caches (libdispatch continuations, OpenSSL's fetched algorithms,
    /// libcurl's connection) fill up in the first few hundred.
    static let warmUp = 500
    static let total = 2500
    /// Above what the caches can take per poll (128 bytes), a quarter of the leak.
    static let allowedBytesPerPoll = 250

    let backend: ServerAPI
    let home: TestHome

    init() throws {
        backend = try TestServices.server()
        home = try TestHome()
    }

    @Test(
        "polling keeps the heap flat after warm-up: an app's getChallenge loop, and the agent's loop",
        .disabled(if: SanitizerRun.isActive, "a sanitizer's allocator makes heap figures meaningless"),
        arguments: ["library", "agent"])
    func heapStaysFlat(loop: String) async throws {
        let device = try await TestDevice.enroll(in: home, backend: backend, keyStore: .secretService)
        let run = try await ChildProcess.run(
            try TestBinaries.path("poll-memory-probe"), [loop, device.profile.name, "\(Self.warmUp)", "\(Self.total)"],
            environment: home.environment(), timeout: .seconds(600))
        try #require(run.status == 0, "poll-memory-probe failed: \(run.errors)")
        let readings = run.output.split(separator: "\n").compactMap { ProbeCheckpoint(line: $0) }
        try #require(readings.count == 2, "unexpected probe output: \(run.output)")
        let (first, last) = (readings[0], readings[1])
        // Only idle polls count: an error path that skipped the keyring or the signed GET would prove nothing.
        #expect(first.polls == Self.warmUp && last.polls == Self.total)
        #expect(last.idlePolls == last.polls)
        let perPoll = (last.heapBytes - first.heapBytes) / (last.polls - first.polls)
        #expect(
            perPoll < Self.allowedBytesPerPoll,
            "the heap grew \(last.heapBytes - first.heapBytes) bytes over \(last.polls - first.polls) polls")
    }
}
