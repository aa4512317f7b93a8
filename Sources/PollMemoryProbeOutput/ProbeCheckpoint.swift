/// One checkpoint of poll-memory-probe, as the line it prints:
/// `polls=N heapBytes=B residentKB=K idlePolls=I`. The probe writes it; the memory tests and `make bench`
/// read it, so the format lives here once.
public struct ProbeCheckpoint: Equatable, Sendable {
    /// Polls so far.
    public var polls: Int
    /// Bytes handed out by malloc and not yet freed (glibc's mallinfo2).
    public var heapBytes: Int
    /// The resident set (`VmRSS`), in kB.
    public var residentKilobytes: Int
    /// Polls that found nothing to do (no challenge, no error): the ones a leak test may count.
    public var idlePolls: Int

    public init(polls: Int, heapBytes: Int, residentKilobytes: Int, idlePolls: Int) {
        self.polls = polls
        self.heapBytes = heapBytes
        self.residentKilobytes = residentKilobytes
        self.idlePolls = idlePolls
    }

    /// The line the probe prints.
    public var line: String {
        "polls=\(polls) heapBytes=\(heapBytes) residentKB=\(residentKilobytes) idlePolls=\(idlePolls)"
    }

    /// Reads a printed line; nil unless all four fields are there.
    public init?(line: some StringProtocol) {
        var fields: [String: Int] = [:]
        for field in line.split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let value = Int(parts[1]) else { continue }
            fields[String(parts[0])] = value
        }
        guard let polls = fields["polls"], let heapBytes = fields["heapBytes"],
            let residentKilobytes = fields["residentKB"], let idlePolls = fields["idlePolls"]
        else { return nil }
        self.init(polls: polls, heapBytes: heapBytes, residentKilobytes: residentKilobytes, idlePolls: idlePolls)
    }
}
