import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// "This wasn't me" and the history of answers, with the real agent binary and the real server: the
/// denial the server sees, the journal entry read back from a datagram socket, the report command's JSON,
/// and the outcome each path leaves in `$XDG_STATE_HOME/devicecred/history.jsonl`.
@Suite("devicecred-agent: This wasn't me, and the history")
struct ReportAndHistoryAgentTests {
    /// A browser whose User-Agent tries to forge journal fields and redraw a terminal.
    static let forgedUserAgent = "Firefox\nMESSAGE_ID=00000000000000000000000000000000\nPRIORITY=7\u{1B}[2K\r"
    static let forgedIP = "198.51.100.66\nDEVICECRED_PROFILE=admin"
    static let journalFields: Set<String> = [
        "MESSAGE", "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER", "DEVICECRED_PROFILE", "DEVICECRED_ACTION",
        "DEVICECRED_IP_ADDRESS", "DEVICECRED_USER_AGENT", "DEVICECRED_CHALLENGE_ID", "DEVICECRED_CHANNEL",
    ]

    let backend: ServerAPI
    let home: TestHome

    init() throws {
        backend = try TestServices.server()
        home = try TestHome()
    }

    private func agent(
        _ command: String, report: String? = nil, journal: TestJournal? = nil, bus: PrivateSessionBus? = nil,
        environment extra: [String: String] = [:]
    ) async throws -> RunningProcess {
        var environment = (bus?.environment ?? [:]).merging(extra) { $1 }
        if let journal { environment["DEVICECRED_JOURNAL_SOCKET"] = journal.path }
        return try await RunningProcess.agent(
            ["--prompt", "command", "--prompt-command", command, "--interval", "0.2", "--log-level", "debug"]
                + (report.map { ["--report-command", $0] } ?? []),
            home: home, environment: environment)
    }

    /// The one entry the agent recorded, once it says it did.
    private func recorded(by agent: RunningProcess) async throws -> HistoryEntry {
        try await agent.stderr.waitForLine(containing: "recorded in the history")
        let reading = try home.history.read()
        #expect(reading.skippedLines == 0)
        #expect(reading.entries.count == 1, "\(reading.entries)")
        return try #require(reading.entries.first)
    }

    @Test(
        "the command prints report: denied on the server, a journal entry with forged text kept in its fields, the report command gets the JSON, the history says reported"
    )
    func reportFromTheCommand() async throws {
        let journal = try TestJournal()
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(
            "echo report; exit 1", report: "cat > \"$XDG_RUNTIME_DIR/report.json\"", journal: journal)
        let push = try await backend.pushChallenge(
            userID: device.userID, body: ["userAgent": Self.forgedUserAgent, "ipAddress": Self.forgedIP])
        try await agent.stderr.waitForLine(containing: "challenge denied and reported")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: true))

        let entry = try journal.receive()
        #expect(entry["MESSAGE_ID"] == ChallengeReport.messageID)
        #expect(entry["PRIORITY"] == "4")
        #expect(entry["DEVICECRED_PROFILE"] == device.profile.name)
        #expect(entry["DEVICECRED_ACTION"] == "signIn")
        #expect(entry["DEVICECRED_IP_ADDRESS"] == Self.forgedIP)
        #expect(entry["DEVICECRED_USER_AGENT"] == Self.forgedUserAgent)
        #expect(entry["DEVICECRED_CHALLENGE_ID"] == push.challengeID)
        #expect(entry["DEVICECRED_CHANNEL"] == "command")
        // Nothing but these fields, each once: no forged field, no token, no signature.
        #expect(Set(entry.fields.map(\.name)) == Self.journalFields)
        #expect(entry.fields.count == Self.journalFields.count)
        #expect(!String(decoding: entry.datagram, as: UTF8.self).contains(push.token))
        #expect(try #require(entry["MESSAGE"]).hasSuffix("the challenge was denied"))

        try await agent.stderr.waitForLine(containing: "the report command ran")
        let report =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: home.runtime + "/report.json"))) as? [String: Any]
        #expect(report?["challengeId"] as? String == push.challengeID)
        #expect(report?["userAgent"] as? String == Self.forgedUserAgent)
        #expect(report?["profile"] as? String == device.profile.name)

        let recorded = try await recorded(by: agent)
        #expect(recorded.outcome == .reported)
        #expect(recorded.channel == .command)
        #expect(recorded.challengeId == push.challengeID)
        #expect(recorded.userAgent == Self.forgedUserAgent)
        #expect(recorded.ipAddress == Self.forgedIP)
        #expect(recorded.profile == device.profile.name)
    }

    @Test("a plain denial is recorded as denied, through the command, and writes no journal entry")
    func deniedIsRecorded() async throws {
        let journal = try TestJournal()
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent("exit 1", journal: journal)
        let push = try await backend.pushChallenge(userID: device.userID)
        let recorded = try await recorded(by: agent)
        #expect(recorded.outcome == .denied)
        #expect(recorded.channel == .command)
        #expect(recorded.challengeId == push.challengeID)
        #expect(!journal.hasPending())
    }

    @Test("without the D-Bus API, a prompt left unanswered is recorded as dismissed")
    func dismissedIsRecorded() async throws {
        let device = try await TestDevice.enroll(in: home, backend: backend)
        // No session bus, so no API. On the tests' shared bus this agent sometimes won the API's name, and
        // with the API a dismissed prompt stays open for ShowChallenge instead of ending (ShowChallengeTests).
        let agent = try await agent(
            "exit 3", environment: ["DBUS_SESSION_BUS_ADDRESS": "unix:path=\(home.runtime)/no-session-bus"])
        try await agent.stderr.waitForLine(containing: "no D-Bus API")
        _ = try await backend.pushChallenge(userID: device.userID)
        #expect(try await recorded(by: agent).outcome == .dismissed)
    }

    @Test("answered on another device while the prompt is open: recorded as answeredElsewhere")
    func answeredElsewhereIsRecorded() async throws {
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent("sleep 600")
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge received")
        try await device.client().updateChallenge(challengeId: push.challengeID, approved: true)
        #expect(try await recorded(by: agent).outcome == .answeredElsewhere)
    }

    @Test("left to expire while the prompt is open: recorded as expired")
    func expiredIsRecorded() async throws {
        let server = try await PrivateServer(challengeTTL: 3)
        let device = try await TestDevice.enroll(in: home, backend: server.api)
        let agent = try await agent("sleep 600")
        try await agent.stderr.waitForLine(containing: "polled")
        _ = try await server.api.pushChallenge(userID: device.userID)
        #expect(try await recorded(by: agent).outcome == .expired)
    }

    @Test("Report over D-Bus: denied on the server, ChallengeResolved says reported, journal and history say dbusApp")
    func reportOverTheBus() async throws {
        let journal = try TestJournal()
        let bus = try await PrivateSessionBus()
        let client = AgentBusClient(bus: bus)
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent("sleep 600", journal: journal, bus: bus)
        try await agent.stderr.waitForLine(containing: "D-Bus API offered")
        let signals = home.root + "/signals"
        let monitor = try await client.monitor(into: signals)
        defer { monitor.stop() }
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge received")
        try await client.succeed("Report", push.challengeID)
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: true))
        try await AgentBusClient.waitFor(signals, containing: "'\(device.profile.name)', 'reported')")
        let entry = try journal.receive()
        #expect(entry["DEVICECRED_CHALLENGE_ID"] == push.challengeID)
        #expect(entry["DEVICECRED_CHANNEL"] == "dbusApp")
        let recorded = try await recorded(by: agent)
        #expect(recorded.outcome == .reported)
        #expect(recorded.channel == .dbusApp)
        // Report of a challenge that is not open: the named error, as for Deny.
        let gone = try await client.call("Report", push.challengeID)
        #expect(gone.errors.contains("io.github.DeviceCredential.Agent1.Error.ChallengeGone"), "\(gone)")
    }
}
