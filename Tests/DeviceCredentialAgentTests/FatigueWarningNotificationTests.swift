import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// The push-fatigue guard's warning as a notification (the fixture notification server on a private
/// session bus), with the agent binary and the real devicecred-server.
@Suite("devicecred-agent fatigue warning notification")
struct FatigueWarningNotificationTests {
    @Test(
        "four denied from notifications, the fifth brings one warning with Deny all and Show anyway; Show anyway shows it"
    )
    func showAnyway() async throws {
        let backend = try TestServices.server()
        let home = try TestHome()
        let desktop = try await NotificationDesktop(home: home)
        try await desktop.startServer(answer: "deny", markup: true)
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await RunningProcess.agent(
            ["--prompt", "notification", "--interval", "0.2", "--log-level", "debug"], home: home,
            environment: ["DBUS_SESSION_BUS_ADDRESS": desktop.address])
        var from = 0
        for attempt in 1...4 {
            _ = try await backend.pushChallenge(
                userID: device.userID, body: ["ipAddress": "198.51.100.\(attempt)", "userAgent": "<b>bold</b>"])
            _ = try await agent.stderr.waitForLine(containing: "challenge denied", from: from)
            let lines = agent.stderr.lines
            from = (lines.indices.dropFirst(from).first { lines[$0].contains("challenge denied") } ?? from) + 1
        }
        let fifth = try await backend.pushChallenge(userID: device.userID)
        let shownLine = try await agent.stderr.waitForLine(containing: "fatigue warning shown")
        let id = try #require(
            Int(shownLine.components(separatedBy: "notificationId=").last?.prefix { $0.isNumber } ?? ""))
        let warning = try #require(try desktop.shown().first { $0["id"] as? Int == id })
        #expect(warning["summary"] as? String == "Many sign-in requests: someone may know your password")
        #expect(warning["actions"] as? [String] == ["deny-all", "Deny all", "show-anyway", "Show anyway"])
        #expect(warning["urgency"] as? Int == 2)
        let body = warning["body"] as? String ?? ""
        #expect(body.contains("5 sign-in requests"))
        #expect(body.contains("From: 198.51.100.1, 198.51.100.2, 198.51.100.3, 198.51.100.4"))
        // Markup from the browser is shown, never acted on.
        #expect(!body.contains("<b>"))
        // The fifth is held: not shown as a challenge, not answered.
        #expect(try desktop.shown().filter { $0["challengeId"] as? String == fifth.challengeID }.isEmpty)
        #expect(try await backend.poll(fifth) == .init(isVerified: false, isConsumed: false))

        try await desktop.click(id, "show-anyway")
        try await agent.stderr.waitForLine(containing: "fatigue warning: show anyway")
        _ = try await agent.stderr.waitForLine(containing: "challenge denied", from: from)
        #expect(try desktop.shown().contains { $0["challengeId"] as? String == fifth.challengeID })
        #expect(try await backend.poll(fifth) == .init(isVerified: false, isConsumed: true))
        #expect(try desktop.wasClosed(id))
        agent.stop()
    }
}
