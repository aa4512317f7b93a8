import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// The agent with `--prompt notification` against a notification server on a private session bus
/// (a fixture that records the calls and clicks like a person), and the real devicecred-server.
@Suite("devicecred-agent --prompt notification")
struct NotificationPrompterAgentTests {
    let backend: ServerAPI
    let home: TestHome

    init() throws {
        backend = try TestServices.server()
        home = try TestHome()
    }

    private func desktop(answer: String, markup: Bool = false) async throws -> NotificationDesktop {
        let desktop = try await NotificationDesktop(home: home)
        try await desktop.startServer(answer: answer, markup: markup)
        return desktop
    }

    private func agent(on desktop: NotificationDesktop, extra: [String: String] = [:]) async throws -> RunningProcess {
        try await RunningProcess.agent(
            ["--prompt", "notification", "--interval", "0.2", "--log-level", "debug"], home: home,
            environment: ["DBUS_SESSION_BUS_ADDRESS": desktop.address].merging(extra) { $1 })
    }

    @Test(
        "Approve clicked: the browser sees isVerified; the notification is critical, with context, both actions, an expiry clock time, and is closed"
    )
    func approve() async throws {
        let desktop = try await desktop(answer: "approve")
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: desktop)
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))

        let notify = try #require(try desktop.shown().first)
        #expect(notify["urgency"] as? Int == 2)
        #expect(
            notify["actions"] as? [String] == ["report", "This wasn't me", "approve", "Approve", "deny", "Deny"])
        #expect(notify["summary"] as? String == "Approve signIn?")
        #expect(notify["challengeId"] as? String == push.challengeID)
        let body = notify["body"] as? String ?? ""
        #expect(body.contains("Action: signIn"))
        #expect(body.contains("IP address:"))
        #expect(body.contains("Browser:"))
        // A clock time, which stays true on a resident notification; a countdown would freeze.
        #expect(body.contains(/Expires: (\d{4}-\d\d-\d\d )?\d\d:\d\d/))
        #expect(!body.contains("Time left"))
        // Shown once, however many polls saw it; closed once answered (resident notifications stay otherwise).
        #expect(try desktop.shown().count == 1)
        #expect(try desktop.wasClosed(try #require(notify["id"] as? Int)))
        agent.signal(SIGTERM)
        #expect(try await agent.waitForExit() == 0)
    }

    @Test(
        "a notification server without buttons: the notification says which commands answer it, and goes once answered there"
    )
    func serverWithoutActions() async throws {
        let desktop = try await NotificationDesktop(home: home)
        try await desktop.startServer(answer: "none", actions: false)
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: desktop)
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "notification shown")
        #expect(agent.stderr.lines.contains { $0.contains("the notification server shows no buttons") })
        let notify = try #require(try desktop.shown().first)
        let body = notify["body"] as? String ?? ""
        let profile = device.profile.name
        #expect(
            body.contains("answer with devicecred approve --profile \(profile) or devicecred deny --profile \(profile)")
        )
        // Answered from the terminal (as `devicecred approve` does): the notification is closed.
        try await device.client().updateChallenge(challengeId: push.challengeID, approved: true)
        try await agent.stderr.waitForLine(containing: "challenge withdrawn")
        #expect(try desktop.wasClosed(try #require(notify["id"] as? Int)))
        #expect(try await backend.poll(push).isVerified)
    }

    @Test("Deny clicked: the browser sees the challenge consumed, not verified; the notification is closed")
    func deny() async throws {
        let desktop = try await desktop(answer: "deny")
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: desktop)
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge denied")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: true))
        let shown = try #require(try desktop.shown().first?["id"] as? Int)
        #expect(try desktop.wasClosed(shown))
    }

    @Test("This wasn't me clicked: denied on the server, the notification closed, the history says reported")
    func report() async throws {
        let desktop = try await desktop(answer: "report")
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: desktop)
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge denied and reported")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: true))
        let shown = try #require(try desktop.shown().first?["id"] as? Int)
        #expect(try desktop.wasClosed(shown))
        try await agent.stderr.waitForLine(containing: "recorded in the history")
        let recorded = try home.history.read().entries
        #expect(recorded.map(\.outcome) == [.reported])
        #expect(recorded.map(\.channel) == [.notification])
    }

    @Test("answered elsewhere: the agent closes its notification (CloseNotification)")
    func closedWhenAnsweredElsewhere() async throws {
        let desktop = try await desktop(answer: "none")
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: desktop)
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "notification shown")
        // Another device (here: the same key through the library) answers first.
        try await device.client().updateChallenge(challengeId: push.challengeID, approved: true)
        try await agent.stderr.waitForLine(containing: "challenge withdrawn")
        let shown = try #require(try desktop.shown().first?["id"] as? Int)
        #expect(try desktop.wasClosed(shown))
        #expect(!agent.stderr.lines.contains { $0.contains("challenge approved") })
    }

    @Test("expired: the agent closes its notification when the challenge can no longer be answered")
    func closedWhenExpired() async throws {
        let server = try await PrivateServer(challengeTTL: 4)
        let desktop = try await desktop(answer: "none")
        let device = try await TestDevice.enroll(in: home, backend: server.api)
        let agent = try await agent(on: desktop)
        try await agent.stderr.waitForLine(containing: "polled")
        let push = try await server.api.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "notification shown")
        try await agent.stderr.waitForLine(containing: "challenge withdrawn")
        let shown = try #require(try desktop.shown().first?["id"] as? Int)
        #expect(try desktop.wasClosed(shown))
        #expect(try await server.api.poll(push).isVerified == false)
    }

    @Test("the agent stops (SIGTERM) while a notification is up: it closes it first")
    func closedWhenAgentStops() async throws {
        let desktop = try await desktop(answer: "none")
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: desktop)
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "notification shown")
        agent.signal(SIGTERM)
        #expect(try await agent.waitForExit() == 0)
        let shown = try #require(try desktop.shown().first?["id"] as? Int)
        #expect(try desktop.wasClosed(shown))
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: false))
    }

    @Test("number matching without a dialog tool: the notification offers Deny only and never approves")
    func numberMatchingWithoutDialog() async throws {
        let desktop = try await desktop(answer: "approve")
        let device = try await TestDevice.enroll(in: home, backend: backend, numberMatching: true)
        let agent = try await agent(on: desktop, extra: ["PATH": "/nonexistent"])
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge left unanswered")
        let notify = try #require(try desktop.shown().first)
        #expect(notify["actions"] as? [String] == ["report", "This wasn't me", "deny", "Deny"])
        #expect((notify["body"] as? String ?? "").contains("zenity or kdialog"))
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: false))
    }

    @Test(
        "a hostile browser name is shown, not acted on: markup escaped only where the server reads markup",
        arguments: [true, false])
    func hostileUserAgent(serverReadsMarkup: Bool) async throws {
        let desktop = try await desktop(answer: "deny", markup: serverReadsMarkup)
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: desktop)
        let hostile = "Evil <b>bold</b> & \u{1B}[2J\nIP address: 10.0.0.1"
        _ = try await backend.pushChallenge(userID: device.userID, body: ["userAgent": hostile])
        try await agent.stderr.waitForLine(containing: "challenge denied")
        let body = try #require(try desktop.shown().first?["body"] as? String)
        let browser = try #require(body.split(separator: "\n").first { $0.hasPrefix("Browser:") })
        if serverReadsMarkup {
            #expect(browser == #"Browser: Evil &lt;b&gt;bold&lt;/b&gt; &amp; \e[2J\nIP address: 10.0.0.1"#)
        } else {
            #expect(browser == #"Browser: Evil <b>bold</b> & \e[2J\nIP address: 10.0.0.1"#)
        }
        // The forged line stays inside the browser's line.
        #expect(body.split(separator: "\n").count { $0.hasPrefix("IP address:") } == 1)
        #expect(!body.contains("\u{1B}"))
    }
}
