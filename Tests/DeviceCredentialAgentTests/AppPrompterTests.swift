import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// An app as the agent's prompter (RegisterPrompter, io.github.DeviceCredential.Prompter1): the Python
/// example prompter (GIO), the real agent binary on a private session bus, the real server. The agent's
/// own prompter is a command that records the challenge it is asked about.
@Suite("devicecred-agent: an app as prompter over D-Bus")
struct AppPrompterTests {
    let backend: ServerAPI
    let home: TestHome

    init() throws {
        backend = try TestServices.server()
        home = try TestHome()
    }

    private var ownAsked: String { home.runtime + "/own.json" }

    /// The agent, its own prompter a command that writes the challenge to `ownAsked`, then runs `then`.
    private func agent(on bus: PrivateSessionBus, then: String = "sleep 600") async throws -> RunningProcess {
        let agent = try await RunningProcess.agent(
            [
                "--prompt", "command", "--prompt-command", "cat > \"$XDG_RUNTIME_DIR/own.json\"; \(then)",
                "--interval", "0.2", "--log-level", "debug",
            ],
            home: home, environment: bus.environment)
        try await agent.stderr.waitForLine(containing: "D-Bus API offered")
        return agent
    }

    @Test("the registered app is asked instead of the agent's prompter, gets the context, and its approval is sent")
    func appApproves() async throws {
        let bus = try await PrivateSessionBus()
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: bus)
        let app = try await ExamplePrompter.start(on: bus, answer: "approve")
        let push = try await backend.pushChallenge(userID: device.userID)
        try await app.stdout.waitForLine(containing: "asked about \(push.challengeID)")
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))
        #expect(app.stdout.lines.contains("  action: signIn"))
        #expect(app.stdout.lines.contains("  profile: \(device.profile.name)"))
        #expect(app.stdout.lines.contains { $0.hasPrefix("  expires: ") })
        #expect(!FileManager.default.fileExists(atPath: ownAsked), "the agent's own prompter was asked too")
        try await agent.stderr.waitForLine(containing: "recorded in the history")
        let entry = try #require(try home.history.read().entries.last)
        #expect(entry.challengeId == push.challengeID)
        #expect(entry.outcome == .approved && entry.channel == .dbusApp)
    }

    @Test("the app denies; a hostile browser's text reaches it raw and the example prints it escaped")
    func appDeniesAndRendersHostileText() async throws {
        let bus = try await PrivateSessionBus()
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: bus)
        let app = try await ExamplePrompter.start(on: bus, answer: "deny")
        let push = try await backend.pushChallenge(
            userID: device.userID, body: ["userAgent": "Evil\u{1B}[2J\u{1B}]0;owned\u{07}\nIP: 10.0.0.1"])
        try await agent.stderr.waitForLine(containing: "challenge denied")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: true))
        #expect(app.stdout.lines.contains("  user agent: Evil\\u001b[2J\\u001b]0;owned\\u0007\\u000aIP: 10.0.0.1"))
        #expect(!app.stdout.lines.contains { $0.contains("\u{1B}") || $0.hasPrefix("IP: ") })
    }

    @Test("one prompter at a time: a second app gets PrompterRegistered, a stranger cannot unregister it")
    func onePrompterAtATime() async throws {
        let bus = try await PrivateSessionBus()
        let client = AgentBusClient(bus: bus)
        let agent = try await agent(on: bus)
        let app = try await ExamplePrompter.start(on: bus, answer: "approve")
        let second = try await client.call("RegisterPrompter", "/some/other/app")
        #expect(second.status != 0)
        #expect(second.errors.contains("io.github.DeviceCredential.Agent1.Error.PrompterRegistered"))
        let stranger = try await client.call("UnregisterPrompter", "/io/github/DeviceCredential/ExamplePrompter")
        #expect(stranger.errors.contains("io.github.DeviceCredential.Agent1.Error.NotRegistered"))
        let wrongSignature = try await client.call("ShowChallenge", "42")
        #expect(wrongSignature.status != 0)
        // The app leaves: its registration goes with it, and the next app may register.
        app.stop()
        try await agent.stderr.waitForLine(containing: "the app prompter left the bus")
        let mark = agent.stderr.lines.count
        try await client.succeed("RegisterPrompter", "/some/other/app")
        try await agent.stderr.waitForLine(containing: "app registered as prompter", from: mark)
        // gdbus exits once answered: that registration ends with it.
        try await agent.stderr.waitForLine(containing: "the app prompter left the bus", from: mark)
    }

    @Test("the app leaves the bus mid-question: the agent's own prompter asks about the same challenge at once")
    func fallbackWhenTheAppLeaves() async throws {
        let bus = try await PrivateSessionBus()
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: bus, then: "exit 0")
        let app = try await ExamplePrompter.start(on: bus, answer: "hold")
        let push = try await backend.pushChallenge(userID: device.userID)
        try await app.stdout.waitForLine(containing: "asked about \(push.challengeID)")
        #expect(!FileManager.default.fileExists(atPath: ownAsked))
        app.signal(SIGKILL)
        try await agent.stderr.waitForLine(containing: "challenge approved")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ownAsked)))
        #expect((json as? [String: Any])?["challengeId"] as? String == push.challengeID)
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))
    }

    @Test("an app whose Ask fails: the agent's own prompter asks at once; the app's error is logged escaped")
    func fallbackWhenTheAppFails() async throws {
        let bus = try await PrivateSessionBus()
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: bus, then: "exit 0")
        let app = try await ExamplePrompter.start(
            on: bus, [Fixtures.directory.appendingPathComponent("failing-prompter.py").path])
        let push = try await backend.pushChallenge(userID: device.userID)
        try await app.stdout.waitForLine(containing: "failing the question")
        let warning = try await agent.stderr.waitForLine(containing: "the app prompter did not answer")
        #expect(warning.contains("org.example.Error.Broken this app is broken"))
        #expect(!warning.contains("\u{1B}"))
        try await agent.stderr.waitForLine(containing: "challenge approved")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ownAsked)))
        #expect((json as? [String: Any])?["challengeId"] as? String == push.challengeID)
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))
    }

    @Test("answered elsewhere (devicecred deny): the app gets Cancel for the challenge it was asked about")
    func cancelReachesTheApp() async throws {
        let bus = try await PrivateSessionBus()
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: bus)
        let app = try await ExamplePrompter.start(on: bus, answer: "hold")
        let push = try await backend.pushChallenge(userID: device.userID)
        try await app.stdout.waitForLine(containing: "asked about \(push.challengeID)")
        try await runCommand(
            try TestBinaries.path("devicecred"), ["deny", push.challengeID, "--profile", device.profile.name],
            environment: home.environment())
        try await app.stdout.waitForLine(containing: "cancelled \(push.challengeID)")
        try await agent.stderr.waitForLine(containing: "challenge withdrawn")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: true))
        #expect(!FileManager.default.fileExists(atPath: ownAsked))
    }
}
