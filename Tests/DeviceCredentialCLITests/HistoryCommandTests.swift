import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// `devicecred history` and `devicecred deny --report`: the real CLI against the real server and keyring,
/// the journal entry read back from a datagram socket the test binds.
@Suite struct HistoryCommandTests {
    static let forgedUserAgent = "x\u{1B}[1A\u{1B}[2K\rfrom 10.0.0.1 (office VPN)\nforged row\u{9B}2J"
    static let forgedIP = "198.51.100.66\u{1B}[2K\r\nDEVICECRED_PROFILE=admin"

    private static func enrolledSandbox() async throws -> (CLISandbox, user: String, profile: String) {
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("history")
        let enrolled = try await sandbox.enroll(userID: user, profile: profile).result
        try #require(enrolled.status == 0, "\(enrolled)")
        return (sandbox, user, profile)
    }

    @Test func denyReportDeniesJournalsAndRecordsAndHistoryShowsItSafely() async throws {
        let (sandbox, user, profile) = try await Self.enrolledSandbox()
        let journal = try TestJournal()
        let push = try await sandbox.server.pushChallenge(
            userID: user, body: ["userAgent": Self.forgedUserAgent, "ipAddress": Self.forgedIP])
        let denied = try await sandbox.run(
            ["deny", "--report", push.challengeID, "--profile", profile],
            environment: ["DEVICECRED_JOURNAL_SOCKET": journal.path])
        #expect(denied.status == 0, "\(denied)")
        #expect(denied.stdout.contains("denied and reported challenge"))
        #expect(try await sandbox.server.poll(push) == .init(isVerified: false, isConsumed: true))

        let entry = try journal.receive()
        #expect(entry["MESSAGE_ID"] == "c34eea090888491887b10966b87341e8")
        #expect(entry["PRIORITY"] == "4")
        #expect(entry["DEVICECRED_CHALLENGE_ID"] == push.challengeID)
        #expect(entry["DEVICECRED_PROFILE"] == profile)
        #expect(entry["DEVICECRED_USER_AGENT"] == Self.forgedUserAgent, "read before the denial, exact")
        #expect(entry["DEVICECRED_IP_ADDRESS"] == Self.forgedIP)
        #expect(entry["DEVICECRED_CHANNEL"] == "cli")
        #expect(entry.fields.filter { $0.name == "DEVICECRED_PROFILE" }.count == 1, "no forged field")
        #expect(!String(decoding: entry.datagram, as: UTF8.self).contains(push.token))

        // A second challenge, approved: the history lists both, newest last.
        let second = try await sandbox.server.pushChallenge(userID: user)
        let approved = try await sandbox.run("approve", second.challengeID, "--profile", profile)
        #expect(approved.status == 0, "\(approved)")

        let human = try await sandbox.run("history", "--profile", profile)
        #expect(human.status == 0, "\(human)")
        #expect(HostileTextTests.actingCharacters(in: human.allOutput).isEmpty, "\(human)")
        let lines = human.stdout.split(separator: "\n")
        #expect(lines.count == 3, "\(human.stdout)")
        #expect(lines.first?.hasPrefix("TIME") == true)
        #expect(lines[1].contains("reported") && lines[1].contains("cli"))
        #expect(lines[1].contains(#"198.51.100.66\e[2K\r\nDEVICECRED_PROFILE="#), "\(lines[1])")
        #expect(lines[2].contains("approved"))
        #expect(!human.stdout.contains("\nforged row"), "no row is forged")
        let full = try await sandbox.run("history", "--profile", profile, "--full")
        #expect(full.stdout.contains(#"x\e[1A\e[2K\rfrom 10.0.0.1 (office VPN)\nforged row\u{9B}2J"#), "\(full)")

        let json = try await sandbox.run("history", "--json")
        #expect(json.status == 0, "\(json)")
        let entries = try #require(try json.json() as? [[String: Any]])
        #expect(entries.map { $0["outcome"] as? String } == ["reported", "approved"])
        #expect(entries.map { $0["challengeId"] as? String } == [push.challengeID, second.challengeID])
        #expect(entries.first?["userAgent"] as? String == Self.forgedUserAgent, "--json keeps the exact value")
        #expect(entries.first?["channel"] as? String == "cli")

        // The file itself: private, and never a token.
        let attributes = try FileManager.default.attributesOfItem(atPath: sandbox.historyPath)
        #expect(attributes[.posixPermissions] as? Int == 0o600)
        let file = try String(contentsOfFile: sandbox.historyPath, encoding: .utf8)
        #expect(!file.contains(push.token) && !file.contains(second.token))
    }

    @Test func denyReportOfAnAnsweredChallengeFailsButStillReports() async throws {
        let (sandbox, user, profile) = try await Self.enrolledSandbox()
        let journal = try TestJournal()
        let push = try await sandbox.server.pushChallenge(userID: user)
        let approved = try await sandbox.run("approve", push.challengeID, "--profile", profile)
        #expect(approved.status == 0, "\(approved)")
        let late = try await sandbox.run(
            ["deny", "--report", push.challengeID, "--profile", profile],
            environment: ["DEVICECRED_JOURNAL_SOCKET": journal.path])
        #expect(late.status != 0, "the denial cannot be sent for an answered challenge: \(late)")
        let entry = try journal.receive()
        #expect(entry["DEVICECRED_CHALLENGE_ID"] == push.challengeID)
        #expect(try #require(entry["MESSAGE"]).hasSuffix("the denial could not be sent (see the log)"))
        let json = try await sandbox.run("history", "--json", "--profile", profile)
        let outcomes = try #require(try json.json() as? [[String: Any]]).map { $0["outcome"] as? String }
        #expect(outcomes == ["approved", "reported"])
    }

    @Test func historyFiltersByProfileAndSinceAndSkipsUnreadableLines() async throws {
        let sandbox = try CLISandbox()
        let empty = try await sandbox.run("history")
        #expect(empty.status == 0, "\(empty)")
        #expect(empty.stdout == "no history yet\n")

        let history = ChallengeHistory(directory: (sandbox.historyPath as NSString).deletingLastPathComponent)
        let entry = { (id: String, profile: String, time: Date) in
            HistoryEntry(
                time: time, profile: profile, challengeId: id, action: "signIn", ipAddress: "203.0.113.1",
                userAgent: nil, outcome: .expired, channel: .notification)
        }
        try history.append(entry("old", "work", Date(timeIntervalSinceNow: -10 * 86_400)))
        try history.append(entry("recent-work", "work", Date(timeIntervalSinceNow: -3600)))
        try history.append(entry("recent-home", "home", Date(timeIntervalSinceNow: -60)))
        let handle = try #require(FileHandle(forWritingAtPath: sandbox.historyPath))
        handle.seekToEndOfFile()
        handle.write(Data("{\"torn\n".utf8))
        try handle.close()

        let ids = { (result: ProcessResult) throws -> [String] in
            try #require(try result.json() as? [[String: Any]]).compactMap { $0["challengeId"] as? String }
        }
        let all = try await sandbox.run("history", "--json")
        #expect(try ids(all) == ["old", "recent-work", "recent-home"])
        #expect(all.stderr.contains("skipped 1 unreadable line"), "\(all)")
        #expect(try ids(try await sandbox.run("history", "--json", "--since", "7d")) == ["recent-work", "recent-home"])
        #expect(try ids(try await sandbox.run("history", "--json", "--since", "30m")) == ["recent-home"])
        #expect(try ids(try await sandbox.run("history", "--json", "--profile", "work")) == ["old", "recent-work"])
        let none = try await sandbox.run("history", "--profile", "nobody")
        #expect(none.stdout == "no history entry matches\n", "\(none)")
        let human = try await sandbox.run("history", "--since", "24h")
        #expect(human.stdout.contains("expired") && human.stdout.contains("notification"), "\(human)")
        #expect(human.stdout.contains("ago)"), "the time says how long ago: \(human.stdout)")

        for bad in ["7", "d", "-1h", "5w", "1.5h", ""] {
            let refused = try await sandbox.run("history", "--since", bad)
            #expect(refused.status == 2, "--since \(bad): \(refused)")
        }
    }
}
