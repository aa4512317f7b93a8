import DeviceCredentialTestSupport
import Foundation
import Testing

@testable import DeviceCredential

/// The history of answers: one JSON line per outcome, private, bounded, and whole when two processes
/// append at once.
@Suite("History of answers")
struct HistoryTests {
    static let hostileAgent = "x\u{1B}[1A\u{1B}[2K\rfrom 10.0.0.1\n{\"outcome\":\"approved\"}\u{2028}\u{9B}2J"

    private func entry(_ id: String, outcome: HistoryOutcome = .denied, userAgent: String? = "Firefox") -> HistoryEntry
    {
        HistoryEntry(
            time: Date(timeIntervalSince1970: 1_790_000_000.7), profile: "work", challengeId: id, action: "signIn",
            ipAddress: "203.0.113.9", userAgent: userAgent, outcome: outcome, channel: .notification)
    }

    private func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    @Test("entries read back exactly, oldest first, one line each; file 0600 in a 0700 directory")
    func roundTrip() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let history = ChallengeHistory(directory: directory.path + "/state/devicecred")
        #expect(try history.read().entries.isEmpty)
        let written = [entry("a", outcome: .approved), entry("b", outcome: .reported, userAgent: Self.hostileAgent)]
        for entry in written { try history.append(entry) }
        let reading = try history.read()
        #expect(reading.entries == written)
        #expect(reading.skippedLines == 0)
        #expect(reading.entries[0].time == Date(timeIntervalSince1970: 1_790_000_000))
        #expect(try mode(history.path) == 0o600)
        #expect(try mode(history.directory) == 0o700)
        // A newline, an escape or a line separator in a value never splits or ends a line.
        let text = try String(contentsOfFile: history.path, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 2)
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(!text.contains("\u{2028}") && !text.contains("\u{9B}"))
        #expect(text.contains(#""outcome":"reported""#))
    }

    @Test("only what the prompt showed is kept: the fields, never more, and outside text bounded")
    func fieldsAndBounds() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let history = ChallengeHistory(directory: directory.path)
        try history.append(entry("c", userAgent: String(repeating: "é", count: 5000)))
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: history.path)))
        let keys = Set((object as? [String: Any] ?? [:]).keys)
        #expect(keys == ["time", "profile", "challengeId", "action", "ipAddress", "userAgent", "outcome", "channel"])
        let kept = try #require(try history.read().entries.first?.userAgent)
        #expect(
            kept.utf8.count <= HistoryEntry.maximumFieldBytes && kept.utf8.count >= HistoryEntry.maximumFieldBytes - 1)
    }

    @Test("past the bound the file is rotated to history.jsonl.1: the two stay bounded, the newest entries kept")
    func rotation() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let history = ChallengeHistory(directory: directory.path, maximumBytes: 2000)
        for index in 0..<60 { try history.append(entry("id-\(index)")) }
        let size = { (path: String) in (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
        #expect(try size(history.path) <= 2000)
        #expect(try size(history.rotatedPath) <= 2000)
        #expect(try size(history.rotatedPath) > 1000)
        #expect(try mode(history.rotatedPath) == 0o600)
        let ids = try history.read().entries.map(\.challengeId)
        #expect(ids.last == "id-59")
        #expect(ids.count < 60)
        // Contiguous and in order: the rotated file then the current one.
        let oldest = try #require(ids.first)
        let first = try #require(Int(oldest.dropFirst(3)))
        #expect(ids == (first..<60).map { "id-\($0)" })
    }

    @Test("a torn or garbage line is skipped and counted; the others are read")
    func tolerantReading() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let history = ChallengeHistory(directory: directory.path)
        try history.append(entry("before"))
        let handle = try #require(FileHandle(forWritingAtPath: history.path))
        handle.seekToEndOfFile()
        handle.write(Data("not json at all\n{\"time\":\"2026-11-30T03:00:00Z\",\"profile\":\"wo".utf8))
        handle.write(Data("\n".utf8))
        try handle.close()
        try history.append(entry("after"))
        let reading = try history.read()
        #expect(reading.entries.map(\.challengeId) == ["before", "after"])
        #expect(reading.skippedLines == 2)
    }

    @Test("a file made with a wider mode is narrowed to 0600 on the next append")
    func narrowsMode() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let history = ChallengeHistory(directory: directory.path)
        FileManager.default.createFile(atPath: history.path, contents: nil, attributes: [.posixPermissions: 0o644])
        try history.append(entry("x"))
        #expect(try mode(history.path) == 0o600)
    }

    @Test("two processes appending 3000 large lines each at once: every line whole, none lost, each writer's in order")
    func twoProcessesAppendAtOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let probe = try TestBinaries.path("history-append-probe")
        let count = 3000
        try await withThrowingTaskGroup(of: (status: Int32, output: String).self) { group in
            for writer in ["agent", "cli"] {
                group.addTask { try await runProgram(probe, [directory.path, writer, "\(count)", "100000000"]) }
            }
            for try await run in group { #expect(run.status == 0, "\(run.output)") }
        }
        let history = ChallengeHistory(directory: directory.path)
        let reading = try history.read()
        #expect(reading.skippedLines == 0)
        #expect(reading.entries.count == 2 * count)
        for writer in ["agent", "cli"] {
            let ids = reading.entries.filter { $0.profile == writer }.map(\.challengeId)
            let whole = ids == (0..<count).map { "\(writer)-\($0)" }
            #expect(whole, "\(writer): \(ids.count) of \(count) lines, in order: \(whole)")
        }
        // Both wrote while the other did: their lines are mixed, not one block after the other.
        let profiles = reading.entries.map(\.profile)
        let switches = zip(profiles, profiles.dropFirst()).filter { $0 != $1 }.count
        #expect(switches > 1, "the two writers did not overlap; the test proves nothing")
    }

    @Test("two processes appending at once across rotations: both files hold whole lines only, each under the bound")
    func twoProcessesRotateAtOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let probe = try TestBinaries.path("history-append-probe")
        try await withThrowingTaskGroup(of: (status: Int32, output: String).self) { group in
            for writer in ["agent", "cli"] {
                group.addTask { try await runProgram(probe, [directory.path, writer, "1000", "20000"]) }
            }
            for try await run in group { #expect(run.status == 0, "\(run.output)") }
        }
        let history = ChallengeHistory(directory: directory.path, maximumBytes: 20000)
        let reading = try history.read()
        #expect(reading.skippedLines == 0)
        #expect(reading.entries.count > 20)
        for path in [history.path, history.rotatedPath] {
            let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            #expect(size <= 20000)
        }
        // Nothing lost between rotations: what each writer has left is a contiguous run of its lines, in
        // order, and the newest line of all is the last line of the writer that finished last.
        for writer in ["agent", "cli"] {
            let numbers = reading.entries.filter { $0.profile == writer }.compactMap {
                Int($0.challengeId.dropFirst(writer.count + 1))
            }
            if let first = numbers.first { #expect(numbers == Array(first..<(first + numbers.count)), "\(writer)") }
        }
        #expect(["agent-999", "cli-999"].contains(reading.entries.last?.challengeId ?? ""))
    }
}
