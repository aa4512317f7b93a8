import DeviceCredential
import Foundation
import Logging
import Testing

@testable import DeviceCredentialAgent

/// The agent's side of the history: the guard's hook, the prompters' channels, a history that cannot be
/// written.
@Suite("history recorder")
struct HistoryRecorderTests {
    static let challenge = AppChallenge(
        challengeId: "c1", userAuthenticatorId: "ua", actionCode: "signIn", userAgent: "Firefox",
        ipAddress: "203.0.113.9")

    @Test("the fatigue guard's hook records suppressedByGuard with the challenge's context")
    func guardHook() throws {
        let home = try TestHome()
        let recorder = HistoryRecorder(history: home.history, logger: Logger(label: "test"))
        recorder.suppressedByGuard(Self.challenge, profile: "work", channel: .notification)
        let entries = try home.history.read().entries
        #expect(entries.map(\.outcome) == [.suppressedByGuard])
        #expect(entries.first?.challengeId == "c1")
        #expect(entries.first?.ipAddress == "203.0.113.9")
        #expect(entries.first?.profile == "work")
    }

    @Test("each prompter answers through its own channel")
    func channels() {
        let logger = Logger(label: "test")
        #expect(HistoryRecorder.channel(of: TerminalPrompter()) == .terminal)
        #expect(HistoryRecorder.channel(of: CommandPrompter(command: "true", logger: logger)) == .command)
    }

    @Test("a history that cannot be written changes nothing else: no throw, nothing written")
    func unwritable() throws {
        let home = try TestHome()
        // A file where the directory should be.
        FileManager.default.createFile(atPath: home.state + "/devicecred", contents: Data())
        let recorder = HistoryRecorder(history: home.history, logger: Logger(label: "test"))
        recorder.record(Self.challenge, profile: "work", outcome: .approved, channel: .command)
        #expect(throws: DeviceCredentialError.self) { try home.history.read() }
    }
}
