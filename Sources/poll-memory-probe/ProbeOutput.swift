import PollMemoryProbeOutput

#if canImport(Glibc)
    import Glibc
#endif

/// The probe's two kinds of output: a checkpoint line on standard output, a failure on standard error.
enum ProbeOutput {
    static func checkpoint(polls: Int, idlePolls: Int) {
        let reading = MemoryReading.now()
        print(
            ProbeCheckpoint(
                polls: polls, heapBytes: reading.heapBytes, residentKilobytes: reading.residentKilobytes,
                idlePolls: idlePolls
            ).line)
        fflush(nil)  // every stream: a reader waits for each line
    }

    static func fail(_ message: String) -> Never {
        var text = Array("poll-memory-probe: \(message)\n".utf8)
        _ = write(2, &text, text.count)
        exit(1)
    }
}
