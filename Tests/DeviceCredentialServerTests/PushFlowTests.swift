import AuthsignalTestDevice
import DeviceCredentialServer
import Foundation
import HTTPTypes
import Testing

/// The seed flow end to end over loopback, with a swift-crypto device, and the ways it must refuse.
@Suite struct PushFlowTests {
    /// track -> enroll -> track again (CHALLENGE_REQUIRED) -> start push -> device fetches and answers -> poll.
    private func challengedAction(_ harness: Harness, device: TestDevice, user: String = "alice") async throws
        -> (tracked: Harness.Tracked, challengeId: String)
    {
        try await harness.enroll(device, as: user)
        let tracked = try await harness.track(user, "signIn", ["userAgent": "Firefox", "ipAddress": "10.1.2.3"])
        #expect(tracked.state == "CHALLENGE_REQUIRED")
        #expect(tracked.reply.bool("isEnrolled") == true)
        let started = try await harness.startPush(tracked.token)
        #expect(started.status == .ok)
        return (tracked, try #require(started.string("challengeId")))
    }

    @Test func approvalSucceedsAndValidates() async throws {
        try await withServer { harness in
            let device = TestDevice()
            let (tracked, challengeId) = try await challengedAction(harness, device: device)

            let pending = try await harness.poll(tracked.token, challengeId)
            #expect(pending.bool("isVerified") == false && pending.bool("isConsumed") == false)

            let fetched = try await harness.getChallenge(device)
            #expect(fetched.string("challengeId") == challengeId)
            #expect(fetched.string("actionCode") == "signIn")
            #expect(fetched.string("userId") == "alice")
            #expect(fetched.string("userAgent") == "Firefox")
            #expect(fetched.string("ipAddress") == "10.1.2.3")
            #expect(fetched.string("idempotencyKey") == tracked.idempotencyKey)
            #expect(fetched.json["expiresAt"] as? Int == Int(harness.clock.now().timeIntervalSince1970) + 300)

            let answered = try await harness.answer(device, challengeId, approved: true)
            #expect(answered.status == .ok && answered.bool("isVerified") == true)

            let approved = try await harness.poll(tracked.token, challengeId)
            #expect(approved.bool("isVerified") == true && approved.bool("isConsumed") == true)
            let accessToken = try #require(approved.string("accessToken"))

            let validated = try await harness.validate(accessToken, ["userId": "alice", "action": "signIn"])
            #expect(validated.status == .ok)
            #expect(validated.bool("isValid") == true)
            #expect(validated.string("state") == "CHALLENGE_SUCCEEDED")
            #expect(validated.string("action") == "signIn" && validated.string("actionCode") == "signIn")
            #expect(validated.string("verificationMethod") == "PUSH")
            #expect(validated.string("idempotencyKey") == tracked.idempotencyKey)

            let nothingLeft = try await harness.getChallenge(device)
            #expect(nothingLeft.status == .ok && nothingLeft.json["challengeId"] == nil)
            #expect(nothingLeft.string("userAuthenticatorId") != nil)
        }
    }

    @Test func denialIsConsumedWithoutToken() async throws {
        try await withServer { harness in
            let device = TestDevice()
            let (tracked, challengeId) = try await challengedAction(harness, device: device)
            let answered = try await harness.answer(device, challengeId, approved: false)
            #expect(answered.status == .ok && answered.bool("isVerified") == false)
            let polled = try await harness.poll(tracked.token, challengeId)
            #expect(polled.bool("isVerified") == false && polled.bool("isConsumed") == true)
            #expect(polled.json["accessToken"] == nil)
            let validated = try await harness.validate(tracked.token)
            #expect(validated.bool("isValid") == false && validated.string("state") == "CHALLENGE_FAILED")
        }
    }

    @Test func wrongSignatureIsRefusedAndLeavesChallengePending() async throws {
        try await withServer { harness in
            let device = TestDevice()
            let (tracked, challengeId) = try await challengedAction(harness, device: device)
            let forged = try await harness.answer(
                device, challengeId, approved: true, signature: TestDevice().signature(for: challengeId))
            #expect(forged.status == .unauthorized && forged.isError("unauthorized"))
            let otherMessage = try await harness.answer(
                device, challengeId, approved: true, signature: device.signature(for: "something else"))
            #expect(otherMessage.isError("unauthorized"))
            let polled = try await harness.poll(tracked.token, challengeId)
            #expect(polled.bool("isConsumed") == false)
            #expect(try await harness.answer(device, challengeId, approved: true).bool("isVerified") == true)
        }
    }

    @Test func replayedNonceIsRefused() async throws {
        try await withServer { harness in
            let device = TestDevice()
            _ = try await challengedAction(harness, device: device)
            let message = try #require(try await harness.nonce(device).string("message"))
            let path = "client/user-authenticators/push/challenge?publicKey=\(device.publicKeyQuery)"
            let headers: HTTPFields = [signatureHeader: device.signature(for: message)]
            let first = try await harness.send(.get, path, auth: .tenant(), headers: headers)
            #expect(first.status == .ok && first.string("challengeId") != nil)
            let replay = try await harness.send(.get, path, auth: .tenant(), headers: headers)
            #expect(replay.status == .unauthorized && replay.isError("unauthorized"))
        }
    }

    @Test func nonceExpires() async throws {
        try await withServer { harness in
            let device = TestDevice()
            _ = try await challengedAction(harness, device: device)
            let message = try #require(try await harness.nonce(device).string("message"))
            harness.clock.advance(by: 61)
            let late = try await harness.send(
                .get, "client/user-authenticators/push/challenge?publicKey=\(device.publicKeyQuery)", auth: .tenant(),
                headers: [signatureHeader: device.signature(for: message)])
            #expect(late.isError("unauthorized"))
        }
    }

    @Test func unsignedGetChallengeOmitsCustom() async throws {
        try await withServer { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let tracked = try await harness.track("alice", "pay", ["custom": ["amount": 1200]])
            _ = try await harness.startPush(tracked.token)
            let path = "client/user-authenticators/push/challenge?publicKey=\(device.publicKeyQuery)"
            let unsigned = try await harness.send(.get, path, auth: .tenant())
            #expect(unsigned.string("challengeId") != nil && unsigned.json["custom"] == nil)
            let signed = try await harness.getChallenge(device)
            #expect((signed.json["custom"] as? [String: Any])?["amount"] as? Int == 1200)
        }
    }

    @Test func answerAfterExpiryIsRefusedAndPollReportsConsumed() async throws {
        try await TestServer { $0.challengeTTL = 30 }.run { harness in
            let device = TestDevice()
            let (tracked, challengeId) = try await challengedAction(harness, device: device)
            harness.clock.advance(by: 31)
            #expect(try await harness.getChallenge(device).json["challengeId"] == nil)
            let late = try await harness.answer(device, challengeId, approved: true)
            #expect(late.status == .badRequest && late.isError("expired_token"))
            let polled = try await harness.poll(tracked.token, challengeId)
            #expect(polled.bool("isVerified") == false && polled.bool("isConsumed") == true)
            #expect(try await harness.validate(tracked.token).bool("isValid") == false)
        }
    }

    @Test func secondAnswerIsRefused() async throws {
        try await withServer { harness in
            let device = TestDevice()
            let (tracked, challengeId) = try await challengedAction(harness, device: device)
            #expect(try await harness.answer(device, challengeId, approved: false).status == .ok)
            let again = try await harness.answer(device, challengeId, approved: true)
            #expect(again.status == .conflict && again.isError("invalid_request"))
            #expect(try await harness.poll(tracked.token, challengeId).bool("isVerified") == false)
        }
    }

    @Test func anotherUsersKeyCannotSeeOrAnswer() async throws {
        try await withServer { harness in
            let alice = TestDevice()
            let mallory = TestDevice()
            let (tracked, challengeId) = try await challengedAction(harness, device: alice)
            try await harness.enroll(mallory, as: "mallory")
            #expect(try await harness.getChallenge(mallory).json["challengeId"] == nil)
            let answered = try await harness.answer(mallory, challengeId, approved: true)
            #expect(answered.status == .notFound && answered.isError("not_found"))
            #expect(try await harness.poll(tracked.token, challengeId).bool("isConsumed") == false)
            // Mallory's token cannot poll Alice's challenge either.
            let malloryToken = try await harness.track("mallory").token
            #expect(try await harness.poll(malloryToken, challengeId).isError("not_found"))
        }
    }

    @Test func deletedAuthenticatorIsInvalidCredential() async throws {
        try await withServer { harness in
            let device = TestDevice()
            let (_, challengeId) = try await challengedAction(harness, device: device)
            let list = try await harness.send(.get, "users/alice/authenticators", auth: .secret())
            let id = try #require(list.array.first?["userAuthenticatorId"] as? String)
            #expect(try await harness.send(.delete, "users/alice/authenticators/\(id)", auth: .secret()).status == .ok)
            let answered = try await harness.answer(device, challengeId, approved: true)
            #expect(answered.status == .notFound && answered.isError("invalid_credential"))
            #expect(try await harness.nonce(device).isError("invalid_credential"))
        }
    }

    @Test func targetedChallengeIsSeenOnlyByItsCredential() async throws {
        try await withServer { harness in
            let laptop = TestDevice()
            let desktop = TestDevice()
            let laptopId = try await harness.enroll(laptop, as: "alice")
            try await harness.enroll(desktop, as: "alice", scope: "add:authenticators")
            let tracked = try await harness.track("alice")
            let started = try await harness.startPush(tracked.token, ["userAuthenticatorId": laptopId])
            let challengeId = try #require(started.string("challengeId"))
            #expect(try await harness.getChallenge(desktop).json["challengeId"] == nil)
            #expect(try await harness.getChallenge(laptop).string("challengeId") == challengeId)
            #expect(try await harness.answer(desktop, challengeId, approved: true).isError("not_found"))
        }
    }

    @Test func numberMatchingNeedsTheRightCode() async throws {
        let policy = ActionPolicy(defaultOutcome: .challenge, numberMatching: true)
        try await TestServer { $0.actions = ["signIn": policy] }.run { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")

            let first = try await harness.track("alice")
            let started = try await harness.startPush(first.token)
            let code = try #require(started.string("verificationCode"))
            #expect(code.count == 2 && Int(code) != nil)
            let challengeId = try #require(started.string("challengeId"))
            #expect(try await harness.getChallenge(device).json["verificationCode"] == nil)
            let wrong = code == "10" ? "11" : "10"
            #expect(
                try await harness.answer(device, challengeId, approved: true, verificationCode: wrong)
                    .bool("isVerified") == false)
            #expect(try await harness.poll(first.token, challengeId).bool("isConsumed") == true)
            #expect(
                try await harness.answer(device, challengeId, approved: true, verificationCode: code).status
                    == .conflict)

            let second = try await harness.track("alice")
            let missing = try #require(try await harness.startPush(second.token).string("challengeId"))
            #expect(try await harness.answer(device, missing, approved: true).bool("isVerified") == false)

            let third = try await harness.track("alice")
            let startedThird = try await harness.startPush(third.token)
            let right = try await harness.answer(
                device, try #require(startedThird.string("challengeId")), approved: true,
                verificationCode: startedThird.string("verificationCode"))
            #expect(right.bool("isVerified") == true)
        }
    }

    @Test func legacyDeviceNamespaceRunsTheSameFlow() async throws {
        try await withServer { harness in
            let device = TestDevice()
            let enrollment = try await harness.track("bob", "enroll")
            #expect(try await harness.addCredential(device, token: enrollment.token, namespace: "device").status == .ok)
            let tracked = try await harness.track("bob")
            let challengeId = try #require(try await harness.startPush(tracked.token).string("challengeId"))
            #expect(try await harness.getChallenge(device, namespace: "device").string("challengeId") == challengeId)
            #expect(
                try await harness.answer(device, challengeId, approved: true, namespace: "device").bool("isVerified")
                    == true)
        }
    }

    @Test func startPushNeedsAChallengeRequiredActionAndAValidToken() async throws {
        try await withServer { harness in
            let unenrolled = try await harness.track("carol")
            #expect(unenrolled.state == "ALLOW")
            #expect(try await harness.startPush(unenrolled.token).isError("invalid_request"))
            #expect(try await harness.startPush("not.a.token").status == .unauthorized)
            let device = TestDevice()
            try await harness.enroll(device, as: "carol")
            let tracked = try await harness.track("carol")
            #expect(try await harness.startPush(tracked.token, ["action": "other"]).isError("invalid_request"))
            #expect(
                try await harness.startPush(tracked.token, ["userAuthenticatorId": "nope"]).isError(
                    "invalid_credential"))
            harness.clock.advance(by: 601)
            let expired = try await harness.startPush(tracked.token)
            #expect(expired.status == .unauthorized && expired.isError("expired_token"))
        }
    }
}
