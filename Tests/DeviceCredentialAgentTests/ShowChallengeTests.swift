import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// Showing a dismissed challenge again: `ShowChallenge` over D-Bus (gdbus) and `devicecred challenge
/// --show` (the CLI binary), against the real agent binary on a private session bus and the real server.
/// The agent's own prompter is a command that counts its runs and leaves the challenge unanswered, as a
/// dismissed notification does.
@Suite("devicecred-agent: showing a dismissed challenge again")
struct ShowChallengeTests {
    let backend: ServerAPI
    let home: TestHome

    init() throws {
        backend = try TestServices.server()
        home = try TestHome()
    }

    private var shown: String { home.runtime + "/shown" }

    private func timesShown() -> Int {
        ((try? String(contentsOfFile: shown, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    private func agent(on bus: PrivateSessionBus) async throws -> RunningProcess {
        let agent = try await RunningProcess.agent(
            [
                "--prompt", "command", "--prompt-command", "echo shown >> \"$XDG_RUNTIME_DIR/shown\"; exit 3",
                "--interval", "0.2", "--log-level", "info",
            ],
            home: home, environment: bus.environment)
        try await agent.stderr.waitForLine(containing: "D-Bus API offered")
        return agent
    }

    private func devicecred(_ arguments: [String], bus: PrivateSessionBus) async throws -> (
        status: Int32, output: String, errors: String
    ) {
        try await ChildProcess.run(
            try TestBinaries.path("devicecred"), arguments, environment: home.environment(extra: bus.environment))
    }

    @Test("a dismissed challenge stays open (listed, answerable); ShowChallenge asks the prompter again")
    func showChallengeOverTheBus() async throws {
        let bus = try await PrivateSessionBus()
        let client = AgentBusClient(bus: bus)
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: bus)
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge left unanswered")
        #expect(timesShown() == 1)
        #expect(try await client.succeed("ListChallenges").contains(push.challengeID))

        let mark = agent.stderr.lines.count
        try await client.succeed("ShowChallenge", push.challengeID)
        try await agent.stderr.waitForLine(containing: "asked to show the challenge again", from: mark)
        try await agent.stderr.waitForLine(containing: "challenge left unanswered", from: mark)
        #expect(timesShown() == 2)

        let unknown = try await client.call("ShowChallenge", "no-such-challenge")
        #expect(unknown.status != 0)
        #expect(unknown.errors.contains("io.github.DeviceCredential.Agent1.Error.ChallengeGone"))
        // Still open after all that: an app's answer goes through.
        try await client.succeed("Approve", push.challengeID, "")
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))
        #expect(timesShown() == 2)
    }

    @Test("devicecred challenge --show asks the running agent to show the profile's challenge again")
    func showFromTheCLI() async throws {
        let bus = try await PrivateSessionBus()
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: bus)
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge left unanswered")
        let mark = agent.stderr.lines.count
        let result = try await devicecred(["challenge", "--show", "--profile", device.profile.name], bus: bus)
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("shown again: challenge \(push.challengeID)"))
        try await agent.stderr.waitForLine(containing: "challenge left unanswered", from: mark)
        #expect(timesShown() == 2)

        let json = try await devicecred(["challenge", "--show", "--profile", device.profile.name, "--json"], bus: bus)
        #expect(json.status == 0)
        #expect(json.output.contains(push.challengeID))

        // Another profile has nothing open at the agent: exit 7.
        let other = try await devicecred(["challenge", "--show", "--profile", "nothing-here"], bus: bus)
        #expect(other.status == 7)
        #expect(other.errors.contains("the agent has no open challenge for profile 'nothing-here'"))
    }

    @Test("devicecred challenge --show with no agent running: exit 16, says so, starts nothing")
    func showWithoutAnAgent() async throws {
        let bus = try await PrivateSessionBus()
        let result = try await devicecred(["challenge", "--show"], bus: bus)
        #expect(result.status == 16)
        #expect(result.errors.contains("no devicecred-agent runs in this session"))
        let json = try await devicecred(["challenge", "--show", "--json"], bus: bus)
        #expect(json.status == 16)
        #expect(json.output.contains("\"agent_unavailable\""))
    }

    @Test("an app prompter that dismisses is asked again on ShowChallenge")
    func appAskedAgain() async throws {
        let bus = try await PrivateSessionBus()
        let client = AgentBusClient(bus: bus)
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: bus)
        let app = try await ExamplePrompter.start(on: bus, answer: "dismiss")
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "the app prompter left the challenge unanswered")
        try await app.stdout.waitForLine(containing: "answered dismiss \(push.challengeID)")
        let first = try #require(app.stdout.lines.firstIndex(of: "answered dismiss \(push.challengeID)"))
        try await client.succeed("ShowChallenge", push.challengeID)
        try await app.stdout.waitForLine(containing: "answered dismiss \(push.challengeID)", from: first + 1)
        #expect(timesShown() == 0, "the agent's own prompter was asked")
    }
}
