// Appends entries to a history of answers as fast as it can, for the test that runs two of these at once
// (as the CLI and the agent may): history-append-probe DIRECTORY WRITER COUNT [MAXIMUM_BYTES].
// Each entry's challenge id is "WRITER-N"; its User-Agent is long, so lines are large, and hostile.
import DeviceCredential
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

func fail(_ message: String, status: Int32) -> Never {
    var bytes = Array((message + "\n").utf8)
    _ = write(2, &bytes, bytes.count)
    exit(status)
}

let arguments = CommandLine.arguments
guard arguments.count >= 4, let count = Int(arguments[3]) else {
    fail("usage: history-append-probe DIRECTORY WRITER COUNT [MAXIMUM_BYTES]", status: 2)
}
let maximumBytes =
    arguments.count > 4
    ? Int(arguments[4]) ?? ChallengeHistory.defaultMaximumBytes : ChallengeHistory.defaultMaximumBytes
let history = ChallengeHistory(directory: arguments[1], maximumBytes: maximumBytes)
let writer = arguments[2]
let userAgent =
    "Mozilla/5.0 \u{1B}[2K\r\n{\"forged\": true}\n" + String(repeating: writer, count: 400 / max(writer.count, 1))
for index in 0..<count {
    do {
        try history.append(
            HistoryEntry(
                time: Date(), profile: writer, challengeId: "\(writer)-\(index)", action: "signIn",
                ipAddress: "203.0.113.\(index % 256)", userAgent: userAgent, outcome: .denied, channel: .cli))
    } catch {
        fail("history-append-probe: \(error)", status: 1)
    }
}
