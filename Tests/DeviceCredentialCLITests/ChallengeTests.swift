import DeviceCredentialTestSupport
import Foundation
import Testing

/// `challenge`, `approve` and `deny` against devicecred-server, with the browser's side played by the test.
@Suite struct ChallengeTests {
    /// An enrolled profile of a user of its own.
    private static func enrolledSandbox(_ name: String, extra: [String] = []) async throws -> (
        CLISandbox, user: String, profile: String
    ) {
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName(name)
        let enrolled = try await sandbox.enroll(userID: user, profile: profile, extra: extra).result
        try #require(enrolled.status == 0, "\(enrolled)")
        return (sandbox, user, profile)
    }

    @Test func nothingPendingIsNotAnError() async throws {
        let (sandbox, _, profile) = try await Self.enrolledSandbox("idle")
        let human = try await sandbox.run("challenge", "--profile", profile)
        #expect(human.status == 0, "\(human)")
        #expect(human.stdout == "no pending challenge\n")
        let json = try await sandbox.run("challenge", "--profile", profile, "--json")
        #expect(json.status == 0, "\(json)")
        #expect(json.stdout == "null\n")
    }

    @Test func theChallengeShowsItsContextAndApproveAnswersThePendingOne() async throws {
        let (sandbox, user, profile) = try await Self.enrolledSandbox("approve")
        let push = try await sandbox.server.pushChallenge(
            userID: user, body: ["ipAddress": "203.0.113.9", "userAgent": "Firefox/140.0", "custom": ["amount": 12]])

        let human = try await sandbox.run("challenge", "--profile", profile)
        #expect(human.status == 0, "\(human)")
        #expect(human.stdout.hasPrefix("pending challenge \(push.challengeID) (expires in "))
        for expected in [
            "action       signIn", "from         203.0.113.9", "browser      Firefox 140", "{\"amount\":12}",
        ] {
            #expect(human.stdout.contains(expected), "\(human.stdout)")
        }

        let json = try await sandbox.run("challenge", "--profile", profile, "--json")
        #expect(json.status == 0, "\(json)")
        let document = try json.jsonObject()
        #expect(
            Set(document.keys) == [
                "challengeId", "userAuthenticatorId", "userId", "actionCode", "idempotencyKey", "deviceId",
                "userAgent", "ipAddress", "expiresAt", "expiresInSeconds", "custom", "userCustom", "heldByGuard",
            ])
        #expect(document["heldByGuard"] as? Bool == false)
        #expect(document["challengeId"] as? String == push.challengeID)
        #expect(document["actionCode"] as? String == "signIn")
        #expect(document["userId"] as? String == user)
        #expect(document["ipAddress"] as? String == "203.0.113.9")
        #expect((document["custom"] as? [String: Any])?["amount"] as? Int == 12)
        let secondsLeft = try #require(document["expiresInSeconds"] as? Int)
        #expect(secondsLeft > 0 && secondsLeft <= 600)

        let full = try await sandbox.run("challenge", "--profile", profile, "--full")
        #expect(full.stdout.contains("user agent   Firefox/140.0"), "\(full.stdout)")

        let approved = try await sandbox.run("approve", push.challengeID, "--profile", profile, "--json")
        #expect(approved.status == 0, "\(approved)")
        let answer = try approved.jsonObject()
        #expect(answer["challengeId"] as? String == push.challengeID)
        #expect(answer["approved"] as? Bool == true)
        #expect(answer["isVerified"] as? Bool == true)
        let polled = try await sandbox.server.poll(token: push.token, challengeID: push.challengeID)
        #expect(polled.isVerified && polled.isConsumed)

        // Answered once: a second answer from this machine stops before sending, "already answered" (7).
        let again = try await sandbox.run("approve", push.challengeID, "--profile", profile, "--json")
        #expect(again.status == 7, "\(again)")
        #expect(try again.errorCode() == "already_answered")
        #expect(again.stderr.contains("already answered"))
        let denyAgain = try await sandbox.run("deny", push.challengeID, "--profile", profile)
        #expect(denyAgain.status == 7, "\(denyAgain)")
        let unknown = try await sandbox.run("approve", UUID().uuidString.lowercased(), "--profile", profile)
        #expect(unknown.status == 7, "\(unknown)")
    }

    @Test func denyByIDDeclinesTheSignIn() async throws {
        let (sandbox, user, profile) = try await Self.enrolledSandbox("deny")
        let push = try await sandbox.server.pushChallenge(userID: user)
        let denied = try await sandbox.run("deny", push.challengeID, "--profile", profile)
        #expect(denied.status == 0, "\(denied)")
        #expect(denied.stdout == "denied challenge \(push.challengeID)\n")
        let polled = try await sandbox.server.poll(token: push.token, challengeID: push.challengeID)
        #expect(!polled.isVerified && polled.isConsumed)
    }

    @Test func numberMatchingNeverApprovesWithoutACode() async throws {
        let (sandbox, user, profile) = try await Self.enrolledSandbox("nm", extra: ["--number-matching"])
        let push = try await sandbox.server.pushChallenge(userID: user)
        // Standard input is not a terminal: no one can be asked, so approve refuses before sending anything.
        let refused = try await sandbox.run("approve", "--profile", profile, "--json")
        #expect(refused.status == 2, "\(refused)")
        #expect(try refused.errorCode() == "verification_code_required")
        #expect(refused.stderr.contains("--code"))
        let pending = try await sandbox.server.poll(token: push.token, challengeID: push.challengeID)
        #expect(!pending.isConsumed, "the challenge must still be pending")
        let shown = try await sandbox.run("challenge", "--profile", profile, "--json")
        #expect(try shown.jsonObject()["challengeId"] as? String == push.challengeID)
        let profiles = try #require(try await sandbox.run("profiles", "--json").json() as? [[String: Any]])
        #expect(profiles.first?["numberMatching"] as? Bool == true)
    }

    @Test func numberMatchingAgainstAServerThatChecksTheCode() async throws {
        let server = try await PrivateServer(numberMatchingAction: "signIn")
        defer { server.stop() }
        let sandbox = try CLISandbox(server: server.api)
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("nm-server")
        let enrolled = try await sandbox.enroll(userID: user, profile: profile, extra: ["--number-matching"]).result
        try #require(enrolled.status == 0, "\(enrolled)")

        let wrong = try await server.api.pushChallenge(userID: user)
        let code = try #require(wrong.verificationCode, "the server was started with number matching")
        let wrongCode = code == "10" ? "11" : "10"
        let rejected = try await sandbox.run(
            "approve", wrong.challengeID, "--code", wrongCode, "--profile", profile, "--json")
        #expect(rejected.status == 9, "\(rejected)")
        #expect(try rejected.errorCode() == "not_verified")
        let failed = try await server.api.poll(token: wrong.token, challengeID: wrong.challengeID)
        #expect(!failed.isVerified && failed.isConsumed)

        let right = try await server.api.pushChallenge(userID: user)
        let accepted = try await sandbox.run(
            "approve", right.challengeID, "--code", try #require(right.verificationCode), "--profile", profile)
        #expect(accepted.status == 0, "\(accepted)")
        #expect(accepted.stdout == "approved challenge \(right.challengeID)\n")
        let verified = try await server.api.poll(token: right.token, challengeID: right.challengeID)
        #expect(verified.isVerified)
    }

    @Test func numberMatchingAsksForTheCodeOnTheTerminal() async throws {
        let server = try await PrivateServer(numberMatchingAction: "signIn")
        defer { server.stop() }
        let sandbox = try CLISandbox(server: server.api)
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("nm-tty")
        let enrolled = try await sandbox.enroll(userID: user, profile: profile, extra: ["--number-matching"]).result
        try #require(enrolled.status == 0, "\(enrolled)")
        let push = try await server.api.pushChallenge(userID: user)
        let code = try #require(push.verificationCode)
        // script(1) gives devicecred a pseudo-terminal and types its standard input there.
        let command = "'\(TestEnvironment.devicecred)' approve --profile \(profile)"
        let result = try await ProcessRunner.run(
            "/usr/bin/script", ["-qec", command, "/dev/null"], environment: sandbox.environment,
            standardInput: code + "\n")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("Code shown in the browser: "))
        #expect(result.stdout.contains("approved challenge \(push.challengeID)"))
        let verified = try await server.api.poll(token: push.token, challengeID: push.challengeID)
        #expect(verified.isVerified)
    }
}
