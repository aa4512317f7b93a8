import AuthsignalTestDevice
import DeviceCredentialServer
import Foundation
import Testing

/// PROTOCOL.md section 6 over HTTP: QR-code challenges in REST polling mode and in-app verification.
@Suite struct QRAndInAppFlowTests {
    /// Enrolls `device` in `namespace` for `userId` (with add:authenticators, so it may be a second credential).
    @discardableResult
    private func enroll(_ harness: Harness, _ device: TestDevice, as userId: String, namespace: String) async throws
        -> String
    {
        let tracked = try await harness.track(userId, "enroll", ["scope": "add:authenticators"])
        let reply = try await harness.addCredential(device, token: tracked.token, namespace: namespace)
        try #require(reply.status == .ok, "\(reply.text)")
        return try #require(reply.string("userAuthenticatorId"))
    }

    private func claim(_ harness: Harness, _ device: TestDevice, _ challengeId: String, signature: String? = nil)
        async throws -> Reply
    {
        try await harness.send(
            .post, "client/user-authenticators/qr-code/challenge/claim", auth: .tenant(),
            json: [
                "challengeId": challengeId, "publicKey": device.publicKey,
                "signature": signature ?? device.signature(for: challengeId),
            ])
    }

    private func pollQR(_ harness: Harness, _ created: Reply) async throws -> Reply {
        try await harness.send(
            .post, "client/verify/qr-code", auth: .tenant(),
            json: ["challengeId": created.string("challengeId")!, "deviceCode": created.string("deviceCode")!])
    }

    @Test(arguments: RepositoryContractTests.Store.allCases)
    func aQRCodeShownWithATrackTokenIsClaimedApprovedAndValidates(store: RepositoryContractTests.Store) async throws {
        try await withServer(on: store) { harness in
            let device = TestDevice()
            try await harness.enroll(TestDevice(), as: "alice")
            let authenticatorId = try await enroll(harness, device, as: "alice", namespace: "qr-code")
            let tracked = try await harness.track(
                "alice", "signIn", ["userAgent": "Firefox 140", "ipAddress": "203.0.113.9", "custom": ["cart": 3]])
            let created = try await harness.send(
                .post, "client/challenge/qr-code", auth: .bearer(tracked.token), json: ["action": "signIn"])
            #expect(created.status == .ok)
            let challengeId = try #require(created.string("challengeId"))
            #expect(created.string("expiresAt")?.hasSuffix("Z") == true)
            #expect((created.string("deviceCode")?.count ?? 0) >= 32)

            let waiting = try await pollQR(harness, created)
            #expect(waiting.bool("isClaimed") == false && waiting.bool("isConsumed") == false)

            let claimed = try await claim(harness, device, challengeId)
            #expect(claimed.status == .ok && claimed.bool("success") == true)
            #expect(claimed.string("actionCode") == "signIn" && claimed.string("userAgent") == "Firefox 140")
            #expect(claimed.string("ipAddress") == "203.0.113.9")
            #expect(claimed.string("idempotencyKey") == tracked.idempotencyKey)
            #expect((claimed.json["custom"] as? [String: Any])?["cart"] as? Int == 3)

            let seen = try await pollQR(harness, created)
            #expect(seen.bool("isClaimed") == true && seen.bool("isVerified") == false)
            #expect(seen.bool("isConsumed") == false)

            let answer = try await harness.answer(device, challengeId, approved: true, namespace: "qr-code")
            #expect(answer.status == .ok && answer.bool("isVerified") == true)
            let approved = try await pollQR(harness, created)
            #expect(approved.bool("isVerified") == true && approved.bool("isConsumed") == true)
            let token = try #require(approved.string("token"))
            let validation = try await harness.validate(token)
            #expect(validation.bool("isValid") == true && validation.string("verificationMethod") == "QR_CODE")
            #expect(validation.string("idempotencyKey") == tracked.idempotencyKey)
            #expect(validation.string("userId") == "alice")

            let list = try await harness.send(.get, "users/alice/authenticators", auth: .secret())
            #expect(list.array.map { $0["verificationMethod"] as? String } == ["PUSH", "QR_CODE"])
            #expect(list.array.last?["userAuthenticatorId"] as? String == authenticatorId)
            let again = try await harness.answer(device, challengeId, approved: false, namespace: "qr-code")
            #expect(again.status == .conflict)
        }
    }

    @Test func aQRCodeWithoutATokenSignsInTheClaimingCredentialsUser() async throws {
        try await withServer { harness in
            let device = TestDevice()
            try await enroll(harness, device, as: "bob", namespace: "qr-code")
            let created = try await harness.send(
                .post, "client/challenge/qr-code", auth: .tenantBrowser, json: ["action": "signIn"])
            #expect(created.status == .ok)
            let challengeId = try #require(created.string("challengeId"))
            #expect(try await claim(harness, device, challengeId).status == .ok)
            #expect(try await harness.answer(device, challengeId, approved: true, namespace: "qr-code").status == .ok)
            let token = try #require(try await pollQR(harness, created).string("token"))
            let validation = try await harness.validate(token)
            #expect(validation.bool("isValid") == true && validation.string("userId") == "bob")
            #expect(validation.string("verificationMethod") == "QR_CODE")
        }
    }

    @Test func rejectedWrongCodeForeignAndExpiredQRCodes() async throws {
        try await withServer { harness in
            let device = TestDevice()
            let intruder = TestDevice()
            let pushOnly = TestDevice()
            try await enroll(harness, device, as: "carol", namespace: "qr-code")
            try await enroll(harness, intruder, as: "mallory", namespace: "qr-code")
            try await harness.enroll(pushOnly, as: "dave")
            let create = {
                try await harness.send(.post, "client/challenge/qr-code", auth: .tenant(), json: ["action": "signIn"])
            }

            // Rejected: claimed, then consumed without verification.
            let rejected = try await create()
            let rejectedId = rejected.string("challengeId")!
            #expect(try await claim(harness, device, rejectedId).status == .ok)
            #expect(
                try await harness.answer(device, rejectedId, approved: false, namespace: "qr-code").bool("isVerified")
                    == false)
            let verdict = try await pollQR(harness, rejected)
            #expect(verdict.bool("isClaimed") == true && verdict.bool("isConsumed") == true)
            #expect(verdict.bool("isVerified") == false && verdict.string("token") == nil)

            // Claimed by one credential: no other may claim or answer it; unclaimed ones cannot be answered.
            let taken = try await create().string("challengeId")!
            #expect(try await claim(harness, device, taken).status == .ok)
            let second = try await claim(harness, intruder, taken)
            #expect(second.status == .notFound || second.status == .conflict)
            let unclaimed = try await create().string("challengeId")!
            let early = try await harness.answer(device, unclaimed, approved: true, namespace: "qr-code")
            #expect(early.status == .badRequest && early.isError("invalid_request"))

            // A push key is not a QR-code credential; a bad signature claims nothing.
            #expect(try await claim(harness, pushOnly, unclaimed).isError("invalid_credential"))
            let forged = try await claim(harness, device, unclaimed, signature: intruder.signature(for: unclaimed))
            #expect(forged.status == .unauthorized)
            #expect(try await pollQR(harness, try await create()).bool("isClaimed") == false)

            // The wrong deviceCode learns nothing; an expired challenge is over.
            var wrongCode = rejected
            wrongCode = Reply(
                status: .ok, contentType: nil,
                body: try JSONSerialization.data(withJSONObject: ["challengeId": rejectedId, "deviceCode": "guess"]))
            #expect(try await pollQR(harness, wrongCode).isError("not_found"))
            let expiring = try await create()
            harness.clock.advance(by: 301)
            #expect(try await claim(harness, device, expiring.string("challengeId")!).isError("expired_token"))
            #expect(try await pollQR(harness, expiring).bool("isConsumed") == true)
        }
    }

    @Test func numberMatchingAppliesToQRCodes() async throws {
        try await TestServer { $0.actions["signIn"] = ActionPolicy(numberMatching: true) }.run { harness in
            let device = TestDevice()
            try await enroll(harness, device, as: "erin", namespace: "qr-code")
            let created = try await harness.send(
                .post, "client/challenge/qr-code", auth: .tenant(), json: ["action": "signIn"])
            let code = try #require(created.string("verificationCode"))
            let id = created.string("challengeId")!
            #expect(try await claim(harness, device, id).status == .ok)
            let wrong = code == "10" ? "11" : "10"
            let answer = try await harness.answer(
                device, id, approved: true, verificationCode: wrong, namespace: "qr-code")
            #expect(answer.bool("isVerified") == false)
            #expect(try await pollQR(harness, created).bool("isConsumed") == true)
        }
    }

    private func inAppChallenge(_ harness: Harness, _ body: [String: Any]) async throws -> String {
        let reply = try await harness.send(.post, "client/challenge", auth: .tenant(), json: body)
        try #require(reply.status == .ok, "\(reply.text)")
        return try #require(reply.string("challengeId"))
    }

    private func verify(_ harness: Harness, _ device: TestDevice, _ challengeId: String, auth: Auth = .tenant())
        async throws -> Reply
    {
        try await harness.send(
            .post, "client/verify/in-app", auth: auth,
            json: [
                "challengeId": challengeId, "publicKey": device.publicKey,
                "signature": device.signature(for: challengeId),
            ])
    }

    @Test(arguments: RepositoryContractTests.Store.allCases)
    func anInAppVerificationWithAnActionGivesATokenThatValidates(store: RepositoryContractTests.Store) async throws {
        try await withServer(on: store) { harness in
            let device = TestDevice()
            let authenticatorId = try await enroll(harness, device, as: "frank", namespace: "in-app")
            let challengeId = try await inAppChallenge(harness, ["action": "vpnConnect"])
            let verified = try await verify(harness, device, challengeId)
            #expect(verified.status == .ok)
            #expect(verified.string("userId") == "frank" && verified.string("userAuthenticatorId") == authenticatorId)
            let validation = try await harness.validate(try #require(verified.string("token")))
            #expect(validation.bool("isValid") == true && validation.string("verificationMethod") == "IN_APP")
            #expect(validation.string("action") == "vpnConnect" && validation.string("userId") == "frank")
            // Single use.
            #expect(try await verify(harness, device, challengeId).isError("not_found"))
            let list = try await harness.send(.get, "users/frank/authenticators", auth: .secret())
            #expect(list.array.map { $0["verificationMethod"] as? String } == ["IN_APP"])
            #expect(list.array.first?["lastVerifiedAt"] is String)
            let user = try await harness.send(.get, "users/frank", auth: .secret())
            #expect(user.json["enrolledVerificationMethods"] as? [String] == ["IN_APP"])
        }
    }

    @Test func anInAppVerificationWithoutAnActionSettlesTheTrackedOne() async throws {
        try await withServer { harness in
            let device = TestDevice()
            let stranger = TestDevice()
            try await enroll(harness, device, as: "gina", namespace: "in-app")
            try await enroll(harness, stranger, as: "hank", namespace: "in-app")
            let tracked = try await harness.track("gina", "signIn")
            #expect(tracked.state == "CHALLENGE_REQUIRED")
            let noToken = try await verify(harness, device, try await inAppChallenge(harness, [:]))
            #expect(noToken.isError("unauthorized"))
            let foreign = try await verify(
                harness, stranger, try await inAppChallenge(harness, [:]), auth: .bearer(tracked.token))
            #expect(foreign.isError("invalid_request"))
            let verified = try await verify(
                harness, device, try await inAppChallenge(harness, [:]), auth: .bearer(tracked.token))
            #expect(verified.status == .ok)
            let validation = try await harness.validate(try #require(verified.string("token")))
            #expect(validation.bool("isValid") == true && validation.string("idempotencyKey") == tracked.idempotencyKey)
            #expect(validation.string("verificationMethod") == "IN_APP")
        }
    }

    @Test func keysStayInTheirNamespace() async throws {
        try await withServer { harness in
            let device = TestDevice()
            try await enroll(harness, device, as: "ivy", namespace: "in-app")
            let tracked = try await harness.track("ivy", "enroll", ["scope": "add:authenticators"])
            let reused = try await harness.addCredential(device, token: tracked.token, namespace: "qr-code")
            #expect(reused.isError("invalid_request"))
            let asPush = try await harness.send(
                .get, "client/user-authenticators/push?publicKey=\(device.publicKeyQuery)", auth: .tenant())
            #expect(asPush.isError("invalid_credential"))
            let asInApp = try await harness.send(
                .get, "client/user-authenticators/in-app?publicKey=\(device.publicKeyQuery)", auth: .tenant())
            #expect(asInApp.status == .ok && asInApp.string("userId") == "ivy")
            let push = try await harness.startPush(try await harness.track("ivy", "signIn").token)
            #expect(push.isError("invalid_request"))  // no push credential to send it to
        }
    }
}
