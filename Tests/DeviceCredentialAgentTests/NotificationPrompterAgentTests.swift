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

    /// A private bus with the fixture on it, so parallel tests do not fight over the well-known name.
    struct Desktop {
        var bus: RunningProcess
        var server: RunningProcess
        var address: String
        var log: String

        func calls() throws -> [[String: Any]] {
            guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
            return try text.split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
            }
        }
    }

    private func desktop(answer: String) async throws -> Desktop {
        let bus = try RunningProcess(
            "/usr/bin/dbus-daemon",
            ["--session", "--nofork", "--nopidfile", "--address=unix:path=\(home.runtime)/bus", "--print-address=1"],
            stopSignal: SIGKILL)
        let address = try await bus.stdout.waitForLine(containing: "unix:")
        let log = home.root + "/notifications.jsonl"
        var environment = ProcessInfo.processInfo.environment
        environment["DBUS_SESSION_BUS_ADDRESS"] = address
        let server = try RunningProcess(
            "/usr/bin/python3",
            [
                Fixtures.directory.appendingPathComponent("notification-server.py").path, "--log", log, "--answer",
                answer,
            ],
            environment: environment, stopSignal: SIGKILL)
        try await server.stdout.waitForLine(containing: "ready")
        return Desktop(bus: bus, server: server, address: address, log: log)
    }

    private func agent(on desktop: Desktop) throws -> RunningProcess {
        try RunningProcess.agent(
            ["--prompt", "notification", "--interval", "0.2", "--log-level", "debug"], home: home,
            environment: ["DBUS_SESSION_BUS_ADDRESS": desktop.address])
    }

    @Test("Approve clicked: the browser sees isVerified; the notification is critical, with context and both actions")
    func approve() async throws {
        let desktop = try await desktop(answer: "approve")
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try agent(on: desktop)
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))

        let notify = try #require(try desktop.calls().first { $0["call"] as? String == "Notify" })
        #expect(notify["urgency"] as? Int == 2)
        #expect(notify["actions"] as? [String] == ["approve", "Approve", "deny", "Deny"])
        #expect(notify["summary"] as? String == "Approve signIn?")
        #expect(notify["challengeId"] as? String == push.challengeID)
        let body = notify["body"] as? String ?? ""
        #expect(body.contains("Action: signIn"))
        #expect(body.contains("IP address:"))
        #expect(body.contains("Browser:"))
        #expect(body.contains("Time left:"))
        // Shown once, however many polls saw it.
        #expect(try desktop.calls().count { $0["call"] as? String == "Notify" } == 1)
        agent.signal(SIGTERM)
        #expect(try await agent.waitForExit() == 0)
    }

    @Test("Deny clicked: the browser sees the challenge consumed, not verified")
    func deny() async throws {
        let desktop = try await desktop(answer: "deny")
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try agent(on: desktop)
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge denied")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: true))
    }

    @Test("answered elsewhere: the agent closes its notification (CloseNotification)")
    func closedWhenAnsweredElsewhere() async throws {
        let desktop = try await desktop(answer: "none")
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try agent(on: desktop)
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "notification shown")
        // Another device (here: the same key through the library) answers first.
        try await device.client().updateChallenge(challengeId: push.challengeID, approved: true)
        try await agent.stderr.waitForLine(containing: "challenge withdrawn")
        let calls = try desktop.calls()
        let shown = try #require(calls.first { $0["call"] as? String == "Notify" }?["id"] as? Int)
        #expect(calls.contains { $0["call"] as? String == "CloseNotification" && $0["id"] as? Int == shown })
        #expect(!agent.stderr.lines.contains { $0.contains("challenge approved") })
    }

    @Test("number matching without a dialog tool: the notification offers Deny only and never approves")
    func numberMatchingWithoutDialog() async throws {
        let desktop = try await desktop(answer: "approve")
        let device = try await TestDevice.enroll(in: home, backend: backend, numberMatching: true)
        let agent = try RunningProcess.agent(
            ["--prompt", "notification", "--interval", "0.2", "--log-level", "debug"], home: home,
            environment: ["DBUS_SESSION_BUS_ADDRESS": desktop.address, "PATH": "/nonexistent"])
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge left unanswered")
        let notify = try #require(try desktop.calls().first { $0["call"] as? String == "Notify" })
        #expect(notify["actions"] as? [String] == ["deny", "Deny"])
        #expect((notify["body"] as? String ?? "").contains("zenity or kdialog"))
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: false))
    }
}
