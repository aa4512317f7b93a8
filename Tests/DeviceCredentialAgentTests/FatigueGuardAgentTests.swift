import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// The push-fatigue guard in the agent binary, with the command prompter, against the real server.
@Suite("devicecred-agent fatigue guard")
struct FatigueGuardAgentTests {
    let backend: ServerAPI
    let home: TestHome

    init() throws {
        backend = try TestServices.server()
        home = try TestHome()
    }

    /// A command that denies every challenge and answers the warning with `warningExit` (1: Deny all),
    /// keeping the warning's JSON.
    private func agent(warningExit: Int, environment: [String: String] = [:]) async throws -> RunningProcess {
        let command = """
            input=$(cat); case "$input" in *'"type":"fatigue-warning"'*) \
            printf '%s' "$input" > "$XDG_RUNTIME_DIR/warning.json"; exit \(warningExit);; esac; exit 1
            """
        return try await RunningProcess.agent(
            ["--prompt", "command", "--prompt-command", command, "--interval", "0.2", "--log-level", "debug"],
            home: home, environment: environment)
    }

    /// Pushes from a browser of its own address and denies it through the agent, four times.
    private func fourDenied(_ device: TestDevice, agent: RunningProcess) async throws {
        for attempt in 1...4 {
            let push = try await backend.pushChallenge(
                userID: device.userID,
                body: [
                    "ipAddress": "198.51.100.\(attempt)", "userAgent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
                ])
            try await waitForLines(containing: "challenge denied", count: attempt, in: agent)
            #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: true))
        }
        try await agent.stderr.waitForLine(containing: "holding new ones (fatigue guard)")
    }

    /// Waits until `count` lines of the agent's log contain `text`.
    private func waitForLines(containing text: String, count: Int, in agent: RunningProcess) async throws {
        var from = 0
        for _ in 0..<count {
            _ = try await agent.stderr.waitForLine(containing: text, from: from)
            let lines = agent.stderr.lines
            from = (lines.indices.dropFirst(from).first { lines[$0].contains(text) } ?? from) + 1
        }
    }

    @Test("four denied, the fifth is held with one warning naming the addresses; Deny all denies it on the server")
    func denyAllDeniesHeld() async throws {
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(warningExit: 1)
        try await fourDenied(device, agent: agent)

        let fifth = try await backend.pushChallenge(
            userID: device.userID, body: ["ipAddress": "198.51.100.5", "userAgent": "curl/8.5.0"])
        try await agent.stderr.waitForLine(containing: "challenge held by the fatigue guard")
        try await agent.stderr.waitForLine(containing: "held challenge denied")
        #expect(try await backend.poll(fifth) == .init(isVerified: false, isConsumed: true))
        // Shown one by one: the four, never the fifth.
        #expect(agent.stderr.lines.filter { $0.contains("challenge received") }.count == 4)

        let warning = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: home.runtime + "/warning.json"))) as? [String: Any])
        #expect(warning["attempts"] as? Int == 5)
        #expect(warning["profile"] as? String == device.profile.name)
        let addresses = try #require(warning["ipAddresses"] as? [String])
        #expect(addresses == (1...5).map { "198.51.100.\($0)" })
        #expect(Set(warning["userAgents"] as? [String] ?? []).count == 2)
        agent.stop()
    }

    @Test("a dismissed warning keeps the challenge held: never answered by the agent, devicecred challenge notes it")
    func heldChallengeListedByTheCLI() async throws {
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(warningExit: 3)
        try await fourDenied(device, agent: agent)

        let fifth = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge held by the fatigue guard")
        try await agent.stderr.waitForLine(containing: "fatigue warning dismissed")
        // More polls see it pending, and it stays unanswered.
        let mark = agent.stderr.lines.count
        for _ in 0..<3 {
            let seen = agent.stderr.lines.count
            _ = try await agent.stderr.waitForLine(containing: "outcome=pending", from: max(seen, mark))
        }
        #expect(try await backend.poll(fifth) == .init(isVerified: false, isConsumed: false))
        // The history says why it was never shown.
        let held = try home.history.read().entries.filter { $0.challengeId == fifth.challengeID }
        #expect(held.map(\.outcome) == [.suppressedByGuard], "\(held)")

        let json = try await runCommand(
            try TestBinaries.path("devicecred"), ["challenge", "--json", "--profile", device.profile.name],
            environment: home.environment())
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(listed["challengeId"] as? String == fifth.challengeID)
        #expect(listed["heldByGuard"] as? Bool == true)
        let human = try await runCommand(
            try TestBinaries.path("devicecred"), ["challenge", "--profile", device.profile.name],
            environment: home.environment())
        #expect(human.contains("held by the agent's push-fatigue guard"))
        agent.stop()
    }

    @Test("the D-Bus API lists a held challenge with heldByGuard and refuses to answer it")
    func heldChallengeOnTheBus() async throws {
        let bus = try await PrivateSessionBus()
        let client = AgentBusClient(bus: bus)
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(warningExit: 3, environment: bus.environment)
        try await agent.stderr.waitForLine(containing: "D-Bus API offered")
        try await fourDenied(device, agent: agent)

        let fifth = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge held by the fatigue guard")
        let listed = try await client.succeed("ListChallenges")
        #expect(listed.contains("'challengeId': <'\(fifth.challengeID)'>"), "\(listed)")
        #expect(listed.contains("'heldByGuard': <true>"), "\(listed)")
        let approve = try await client.call("Approve", fifth.challengeID, "")
        #expect(approve.status != 0)
        #expect(approve.errors.contains("the fatigue guard holds this challenge"), "\(approve.errors)")
        #expect(try await backend.poll(fifth) == .init(isVerified: false, isConsumed: false))
        agent.stop()
    }

    @Test("--no-fatigue-guard shows every challenge")
    func offShowsAll() async throws {
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await RunningProcess.agent(
            [
                "--prompt", "command", "--prompt-command", "exit 1", "--interval", "0.2", "--log-level", "debug",
                "--no-fatigue-guard",
            ], home: home)
        for attempt in 1...5 {
            _ = try await backend.pushChallenge(userID: device.userID)
            try await waitForLines(containing: "challenge denied", count: attempt, in: agent)
        }
        #expect(!agent.stderr.lines.contains { $0.contains("fatigue guard") })
        agent.stop()
    }
}
