import DeviceCredentialTestSupport
import Foundation
import Testing

/// `approve` and `deny` without an id never answer blind: on a terminal the person sees the challenge
/// and confirms; without one the id is required and nothing is sent.
@Suite struct ConfirmationTests {
    private static func pushedSandbox(_ name: String) async throws -> (CLISandbox, profile: String, ServerAPI.Push) {
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName(name)
        let enrolled = try await sandbox.enroll(userID: user, profile: profile).result
        try #require(enrolled.status == 0, "\(enrolled)")
        let push = try await sandbox.server.pushChallenge(
            userID: user,
            body: [
                "ipAddress": "203.0.113.9",
                "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0.0.0 Safari/537.36",
            ])
        return (sandbox, profile, push)
    }

    private static func isPending(_ sandbox: CLISandbox, _ push: ServerAPI.Push) async throws -> Bool {
        !(try await sandbox.server.poll(push).isConsumed)
    }

    @Test(arguments: ["approve", "deny"])
    func withoutATerminalTheIDIsRequiredAndNothingIsSent(command: String) async throws {
        let (sandbox, profile, push) = try await Self.pushedSandbox("no-tty")
        let refused = try await sandbox.run(command, "--profile", profile, "--json")
        #expect(refused.status == 2, "\(refused)")
        #expect(try refused.errorCode() == "challenge_id_required")
        #expect(refused.stderr.contains("give the challenge id (devicecred \(command) CHALLENGE_ID"), "\(refused)")
        #expect(try await Self.isPending(sandbox, push), "nothing was answered")
    }

    @Test func approveShowsTheChallengeAndApprovesOnlyWhenConfirmed() async throws {
        let (sandbox, profile, push) = try await Self.pushedSandbox("confirm")
        let declined = try await TerminalSession(["approve", "--profile", profile], environment: sandbox.environment)
        try await declined.waitFor("Approve this sign-in? [y/N] ")
        for shown in ["pending challenge \(push.challengeID)", "from         203.0.113.9", "Chrome 131 on Linux"] {
            #expect(declined.transcript.contains(shown), "\(declined.transcript)")
        }
        declined.type("n")
        #expect(try await declined.exitStatus() == 13, "\(declined.transcript)")
        #expect(declined.transcript.contains("not confirmed: nothing was sent"))
        #expect(try await Self.isPending(sandbox, push))

        let confirmed = try await TerminalSession(["approve", "--profile", profile], environment: sandbox.environment)
        try await confirmed.waitFor("Approve this sign-in? [y/N] ")
        confirmed.type("maybe")
        try await confirmed.waitFor("Please type y or n.")
        try await confirmed.waitFor("Approve this sign-in? [y/N] ", occurrence: 2)
        confirmed.type("y")
        #expect(try await confirmed.exitStatus() == 0, "\(confirmed.transcript)")
        #expect(confirmed.transcript.contains("approved challenge \(push.challengeID)"))
        #expect(try await sandbox.server.poll(push).isVerified)
    }

    @Test func denyShowsTheChallengeAndDeniesOnlyWhenConfirmed() async throws {
        let (sandbox, profile, push) = try await Self.pushedSandbox("confirm-deny")
        let kept = try await TerminalSession(["deny", "--profile", profile], environment: sandbox.environment)
        try await kept.waitFor("Deny this sign-in? [y/N] ")
        #expect(kept.transcript.contains("pending challenge \(push.challengeID)"))
        kept.type("")
        #expect(try await kept.exitStatus() == 13, "\(kept.transcript)")
        #expect(try await Self.isPending(sandbox, push))

        let denied = try await TerminalSession(["deny", "--profile", profile], environment: sandbox.environment)
        try await denied.waitFor("Deny this sign-in? [y/N] ")
        denied.type("yes")
        #expect(try await denied.exitStatus() == 0, "\(denied.transcript)")
        let state = try await sandbox.server.poll(push)
        #expect(state.isConsumed && !state.isVerified)
    }

    @Test func nothingPendingOnATerminalIsSaid() async throws {
        let (sandbox, profile, push) = try await Self.pushedSandbox("none")
        #expect(try await sandbox.run("deny", push.challengeID, "--profile", profile).status == 0)
        let session = try await TerminalSession(["approve", "--profile", profile], environment: sandbox.environment)
        #expect(try await session.exitStatus() == 7, "\(session.transcript)")
        #expect(session.transcript.contains("no pending challenge"))
    }

    @Test func aMalformedIDIsAUsageErrorAndNothingIsSent() async throws {
        let (sandbox, profile, push) = try await Self.pushedSandbox("malformed")
        let result = try await sandbox.run("approve", "not-a-uuid", "--profile", profile)
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("'not-a-uuid' is not a challenge id"), "\(result.stderr)")
        #expect(!result.stderr.contains("gone"))
        #expect(try await Self.isPending(sandbox, push))
    }
}
