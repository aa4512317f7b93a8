import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

@testable import DeviceCredentialAgent

/// When the agent renews a credential with an `expiresAt`, as a table: no server, no clock.
@Suite("credential keep-alive")
struct CredentialKeepAliveTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let day: TimeInterval = 86_400

    /// Verified `ago` seconds before now, expiring `left` seconds after.
    static func credential(verifiedAgo ago: TimeInterval, left: TimeInterval?) -> AppCredential {
        AppCredential(
            userAuthenticatorId: "ua", userId: "u", verifiedAt: now.addingTimeInterval(-ago),
            expiresAt: left.map { now.addingTimeInterval($0) })
    }

    @Test(
        "renewed once half the lifetime is left, looked at again when it will be",
        arguments: [
            // (verified ago, left, plan)
            (0.0, 30 * day, CredentialKeepAlive.Plan(step: .none, nextCheck: day)),
            (14 * day, 16 * day, .init(step: .none, nextCheck: day)),
            (15 * day - 60, 15 * day + 60, .init(step: .none, nextCheck: 60)),
            (15 * day, 15 * day, .init(step: .renew, nextCheck: day)),
            (10.0, 10, .init(step: .renew, nextCheck: 10)),
            (2.0, 8, .init(step: .none, nextCheck: 3)),
        ] as [(TimeInterval, TimeInterval, CredentialKeepAlive.Plan)])
    func renewsAtHalfTheLifetime(ago: TimeInterval, left: TimeInterval, plan: CredentialKeepAlive.Plan) {
        let credential = Self.credential(verifiedAgo: ago, left: left)
        #expect(CredentialKeepAlive.plan(credential, now: Self.now, keyNeedsPIN: false) == plan)
    }

    @Test("no expiry, or one already past: nothing to do, looked at again in a day")
    func nothingToRenew() {
        for credential in [Self.credential(verifiedAgo: 10, left: nil), Self.credential(verifiedAgo: 10, left: -5)] {
            #expect(
                CredentialKeepAlive.plan(credential, now: Self.now, keyNeedsPIN: false)
                    == .init(step: .none, nextCheck: Self.day))
        }
    }

    @Test("a renewal that did not move the expiry is not tried again for a day (or half a short lifetime)")
    func renewalThatDidNotMove() {
        let long = Self.credential(verifiedAgo: 20 * Self.day, left: 10 * Self.day)
        let failedAnHourAgo = (at: Self.now.addingTimeInterval(-3600), moved: false)
        #expect(
            CredentialKeepAlive.plan(long, now: Self.now, keyNeedsPIN: false, lastRenewal: failedAnHourAgo)
                == .init(step: .none, nextCheck: Self.day - 3600))
        let movedAnHourAgo = (at: Self.now.addingTimeInterval(-3600), moved: true)
        #expect(
            CredentialKeepAlive.plan(long, now: Self.now, keyNeedsPIN: false, lastRenewal: movedAnHourAgo).step
                == .renew)
        let short = Self.credential(verifiedAgo: 60, left: 40)
        let failedJustNow = (at: Self.now.addingTimeInterval(-20), moved: false)
        #expect(
            CredentialKeepAlive.plan(short, now: Self.now, keyNeedsPIN: false, lastRenewal: failedJustNow)
                == .init(step: .none, nextCheck: 30))
    }

    @Test("a key with a PIN is never renewed unattended: the person is told a week ahead, once a day")
    func keyWithPIN() {
        let expiresIn5Days = Self.credential(verifiedAgo: 85 * Self.day, left: 5 * Self.day)
        let warning = CredentialKeepAlive.Step.askForPINRenewal(expiresAt: Self.now.addingTimeInterval(5 * Self.day))
        #expect(
            CredentialKeepAlive.plan(expiresIn5Days, now: Self.now, keyNeedsPIN: true)
                == .init(step: warning, nextCheck: Self.day))
        #expect(
            CredentialKeepAlive.plan(
                expiresIn5Days, now: Self.now, keyNeedsPIN: true, lastPINWarning: Self.now.addingTimeInterval(-600)
            ) == .init(step: .none, nextCheck: Self.day - 600))
        let expiresIn9Days = Self.credential(verifiedAgo: 81 * Self.day, left: 9 * Self.day)
        #expect(
            CredentialKeepAlive.plan(expiresIn9Days, now: Self.now, keyNeedsPIN: true)
                == .init(step: .none, nextCheck: Self.day))
    }
}

/// The agent binary against a server whose credentials expire after a few seconds.
@Suite("devicecred-agent keeps its credential alive")
struct CredentialKeepAliveAgentTests {
    @Test("with a 20 s lifetime the agent renews the credential, which still answers a push past its first expiry")
    func renewsBeforeExpiry() async throws {
        let home = try TestHome()
        let server = try await PrivateServer(credentialLifetime: 20)
        let backend = server.api
        // The agent first: it polls a profile as soon as it is enrolled, with the whole lifetime ahead.
        let agent = try await RunningProcess.agent(
            ["--prompt", "command", "--prompt-command", "exit 0", "--interval", "0.2", "--log-level", "debug"],
            home: home)
        try await agent.stderr.waitForLine(containing: "no enrolled profile yet")
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let enrolled = try await device.client().getCredential()
        let firstExpiry = try #require(enrolled.expiresAt)
        // Renewed at half the lifetime, and again, until the first expiry has passed.
        var (from, renewals) = (0, 0)
        while Date() <= firstExpiry.addingTimeInterval(1) {
            _ = try await agent.stderr.waitForLine(containing: "credential expiry reset", from: from)
            let lines = agent.stderr.lines
            from = (lines.indices.dropFirst(from).first { lines[$0].contains("credential expiry reset") } ?? from) + 1
            renewals += 1
        }
        #expect(renewals >= 2)
        let renewed = try await device.client().getCredential()
        #expect(try #require(renewed.expiresAt) > firstExpiry)
        #expect(Date() > firstExpiry)
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))
        #expect(!agent.stderr.lines.contains { $0.contains("credential revoked") })
        agent.stop()
        server.stop()
    }
    @Test(
        "a key with a PIN is not renewed unattended: the person gets a notification naming the command, and a log line"
    )
    func remindsWhenTheKeyNeedsAPIN() async throws {
        let home = try TestHome()
        // The person is told when a week, or half the lifetime when shorter, is left: here after about 15 s.
        let server = try await PrivateServer(credentialLifetime: 30)
        let tpm = try PrivateTPM()
        let desktop = try await NotificationDesktop(home: home)
        try await desktop.startServer(answer: "none")
        let device = try await TestDevice.enrollTPM(in: home, backend: server.api, tpm: tpm, pin: "Pin-8813-secret")
        let agent = try await RunningProcess.agent(
            ["--prompt", "notification", "--interval", "0.2", "--log-level", "debug"], home: home,
            environment: tpm.environment.merging(["DBUS_SESSION_BUS_ADDRESS": desktop.address]) { $1 })
        try await agent.stderr.waitForLine(containing: "reminder shown", timeout: .seconds(90))
        #expect(agent.stderr.lines.contains { $0.contains("its key needs a PIN: renew it by hand") })
        let shown = try #require(try desktop.shown().first)
        #expect(shown["summary"] as? String == "Your sign-in approval expires soon")
        let body = shown["body"] as? String ?? ""
        #expect(body.contains("devicecred refresh --reset-expiry --profile \(device.profile.name)"))
        #expect(shown["actions"] as? [String] == [])
        #expect(!agent.stderr.lines.contains { $0.contains("credential expiry reset") })
        agent.stop()
        server.stop()
    }
}
