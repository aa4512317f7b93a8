import PollMemoryProbeOutput
import Testing

@Suite("poll-memory-probe's checkpoint line")
struct ProbeCheckpointTests {
    @Test("the line the probe prints reads back as the same checkpoint")
    func roundTrip() {
        let checkpoint = ProbeCheckpoint(
            polls: 10_000, heapBytes: 2_345_678, residentKilobytes: 31_000, idlePolls: 9_998)
        #expect(checkpoint.line == "polls=10000 heapBytes=2345678 residentKB=31000 idlePolls=9998")
        #expect(ProbeCheckpoint(line: checkpoint.line) == checkpoint)
    }

    @Test("a line missing a field, or with a field that is not a number, is not a checkpoint")
    func incompleteLines() {
        #expect(ProbeCheckpoint(line: "polls=1 heapBytes=2 residentKB=3") == nil)
        #expect(ProbeCheckpoint(line: "polls=1 heapBytes=x residentKB=3 idlePolls=1") == nil)
        #expect(ProbeCheckpoint(line: "poll-memory-probe: the keyring is locked") == nil)
    }
}
