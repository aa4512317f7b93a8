import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// Which notification signals the agent believes, and what it does when the notification server
/// comes, goes or is replaced: the real agent binary, the real devicecred-server, a private session bus
/// with the fixture notification server and, for spoofing, another process on the same bus.
@Suite("devicecred-agent notifications: spoofed signals, server restarts, no server yet")
struct NotificationTrustAgentTests {
    let backend: ServerAPI
    let home: TestHome

    init() throws {
        backend = try TestServices.server()
        home = try TestHome()
    }

    private func agent(on desktop: NotificationDesktop) async throws -> RunningProcess {
        try await RunningProcess.agent(
            ["--prompt", "notification", "--interval", "0.2", "--log-level", "debug"], home: home,
            environment: ["DBUS_SESSION_BUS_ADDRESS": desktop.address])
    }

    @Test(
        "another process forging ActionInvoked(approve), before and after the notification is shown, approves nothing")
    func spoofedApprovalIgnored() async throws {
        let desktop = try await NotificationDesktop(home: home)
        try await desktop.startServer(answer: "none")
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: desktop)
        try await agent.stderr.waitForLine(containing: "polled")
        // Ahead of time, for the ids the server will hand out next.
        try await desktop.spoof("approve")
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "notification shown")
        let shown = try #require(try desktop.shown().first?["id"] as? Int)
        // And for the notification on screen.
        try await desktop.spoof("approve")
        // The bus delivers in order: the forgeries reached the agent before the person's click.
        try await desktop.click(shown, "deny")
        try await agent.stderr.waitForLine(containing: "challenge denied")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: true))
        #expect(!agent.stderr.lines.contains { $0.contains("challenge approved") })
        #expect(!agent.stderr.lines.contains { $0.contains("challenge left unanswered") })
    }

    @Test("after forged signals, the notification server's own Approve still approves")
    func realClickAfterSpoofing() async throws {
        let desktop = try await NotificationDesktop(home: home)
        try await desktop.startServer(answer: "none")
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: desktop)
        try await agent.stderr.waitForLine(containing: "polled")
        try await desktop.spoof("deny")
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "notification shown")
        let shown = try #require(try desktop.shown().first?["id"] as? Int)
        try await desktop.spoof("deny")
        // Nothing was answered by the forgeries.
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: false))
        try await desktop.click(shown, "approve")
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))
    }

    @Test("the notification server restarts between two challenges (reusing ids): the second is approvable")
    func serverRestartBetweenChallenges() async throws {
        let desktop = try await NotificationDesktop(home: home)
        try await desktop.startServer(answer: "approve")
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: desktop)
        let first = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(first).isVerified)

        try await desktop.killServer()
        try await desktop.startServer(answer: "approve")
        let mark = agent.stderr.lines.count
        let second = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge approved", from: mark)
        #expect(try await backend.poll(second) == .init(isVerified: true, isConsumed: true))
        // The new server numbered from 1 again: the old one's "closed" for that id did not count.
        #expect(try desktop.shown().map { $0["id"] as? Int } == [1, 1])
        #expect(!agent.stderr.lines.contains { $0.contains("challenge left unanswered") })
    }

    @Test("the notification server dies while the notification is up: it is shown again on the next one")
    func serverRestartWhileShown() async throws {
        let desktop = try await NotificationDesktop(home: home)
        try await desktop.startServer(answer: "none")
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: desktop)
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "notification shown")
        try await desktop.killServer()
        try await agent.stderr.waitForLine(containing: "notification server went away")
        try await desktop.startServer(answer: "approve")
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))
        #expect(try desktop.shown().count == 2)
    }

    @Test("no notification server when the challenge arrives: it waits, and is shown and approvable once one starts")
    func challengeWaitsForServer() async throws {
        let desktop = try await NotificationDesktop(home: home)
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: desktop)
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "the challenge waits for one")
        #expect(try desktop.shown().isEmpty)
        try await desktop.startServer(answer: "approve")
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))
    }

    @Test("a notification server that D-Bus activation starts: chosen at start-up and started by the challenge")
    func activatedServer() async throws {
        let services = home.root + "/dbus-services"
        try FileManager.default.createDirectory(atPath: services, withIntermediateDirectories: true)
        let desktop = try await NotificationDesktop(home: home, serviceDirectories: [services])
        try """
        [D-BUS Service]
        Name=org.freedesktop.Notifications
        Exec=/usr/bin/python3 \(desktop.serverArguments(answer: "approve").joined(separator: " "))

        """.write(toFile: services + "/org.freedesktop.Notifications.service", atomically: true, encoding: .utf8)
        // Written after the bus started (its Exec names the desktop's files): make the bus read it now, or
        // the agent's start-up question may come before the daemon noticed the file by itself.
        try await desktop.bus.reloadServiceFiles()
        let device = try await TestDevice.enroll(in: home, backend: backend)
        // No --prompt: the start-up choice must see the activatable server.
        let agent = try await RunningProcess.agent(
            ["--interval", "0.2", "--log-level", "debug"], home: home,
            environment: ["DBUS_SESSION_BUS_ADDRESS": desktop.address])
        try await agent.stderr.waitForLine(containing: "starts a notification server on demand")
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))
        #expect(try desktop.shown().count == 1)
    }
}
