import DeviceCredentialTestSupport
import Foundation
import Testing

@testable import DeviceCredential

/// "This wasn't me" in the journal: the native protocol, read back from a real datagram socket.
@Suite("Journal report")
struct JournalReportTests {
    static let forgedAgent = "Firefox\nMESSAGE_ID=00000000000000000000000000000000\nPRIORITY=7"
    static let forgedIP = "198.51.100.66\u{1B}[2K\r203.0.113.1"

    private func challenge(userAgent: String = forgedAgent) -> AppChallenge {
        AppChallenge(
            challengeId: "chal-1", userAuthenticatorId: "auth-1", userId: "user-1", actionCode: "signIn\nPRIORITY=0",
            userAgent: userAgent, ipAddress: Self.forgedIP, expiresAt: Date())
    }

    @Test("the entry: fixed MESSAGE_ID, PRIORITY=4, the DEVICECRED_ fields exact, a MESSAGE rendered safe")
    func entryReadBack() throws {
        let journal = try TestJournal()
        try JournalSocket(path: journal.path).send(
            ChallengeReport.journalEntry(for: challenge(), profile: "work", channel: .terminal, denied: true))
        let entry = try journal.receive()
        #expect(entry["MESSAGE_ID"] == "c34eea090888491887b10966b87341e8")
        #expect(entry["PRIORITY"] == "4")
        #expect(entry["SYSLOG_IDENTIFIER"] == "devicecred")
        #expect(entry["DEVICECRED_PROFILE"] == "work")
        #expect(entry["DEVICECRED_ACTION"] == "signIn\nPRIORITY=0")
        #expect(entry["DEVICECRED_IP_ADDRESS"] == Self.forgedIP)
        #expect(entry["DEVICECRED_USER_AGENT"] == Self.forgedAgent)
        #expect(entry["DEVICECRED_CHALLENGE_ID"] == "chal-1")
        #expect(entry["DEVICECRED_CHANNEL"] == "terminal")
        // Newlines in values forge no field: each name appears once, with the value it was given.
        for name in ["MESSAGE_ID", "PRIORITY", "MESSAGE"] {
            #expect(entry.fields.filter { $0.name == name }.count == 1, "\(name)")
        }
        let message = try #require(entry["MESSAGE"])
        #expect(message.hasPrefix("Sign-in reported as not mine: action signIn\\nPRIORITY=0 from 198.51.100.66\\e[2K"))
        #expect(message.hasSuffix("profile work; the challenge was denied"))
        #expect(!message.unicodeScalars.contains { $0.value < 0x20 })
    }

    @Test("a value with no control character uses NAME=value; one with a newline the length-prefixed form")
    func encodingForms() throws {
        var entry = JournalEntry()
        entry.append("PLAIN", "a=b c")
        entry.append("TWO_LINES", "x\ny")
        let expected: [UInt8] =
            Array("PLAIN=a=b c\nTWO_LINES\n".utf8) + [3, 0, 0, 0, 0, 0, 0, 0] + Array("x\ny\n".utf8)
        #expect(entry.encoded == expected)
        #expect(JournalEntry.isValidName("DEVICECRED_ACTION"))
        #expect(!JournalEntry.isValidName("_PID"))
        #expect(!JournalEntry.isValidName("lower"))
        #expect(!JournalEntry.isValidName("A=B"))
    }

    @Test("no journal listening: a clear history_failure, nothing else breaks")
    func noJournal() throws {
        let socket = JournalSocket(path: "/nonexistent/devicecred-journal-socket")
        #expect(throws: DeviceCredentialError(code: .historyFailure, message: "")) {
            try socket.send(ChallengeReport.journalEntry(for: challenge(), profile: "p", channel: .cli, denied: false))
        }
    }
}
