import AuthsignalTestDevice
import DeviceCredentialServer
import Foundation
import HTTPTypes
import Testing

/// The device endpoints one by one: credentials, nonces, removal windows, updates, auth forms.
@Suite struct DeviceEndpointTests {
    private let prefix = "client/user-authenticators/push"

    @Test func addCredentialAnswersTheCredential() async throws {
        try await withServer { harness in
            let device = TestDevice()
            let token = try await harness.track("alice", "enroll").token
            let added = try await harness.addCredential(device, token: token)
            #expect(added.status == .ok && added.contentType == "application/json")
            #expect(added.string("userId") == "alice")
            #expect(added.string("userAuthenticatorId") != nil && added.string("verifiedAt") != nil)
            // Adding the same key again for the same user is idempotent.
            let again = try await harness.addCredential(device, token: token)
            #expect(again.string("userAuthenticatorId") == added.string("userAuthenticatorId"))
            // The same key for another user is refused.
            let bobToken = try await harness.track("bob", "enroll").token
            #expect(try await harness.addCredential(device, token: bobToken).isError("invalid_request"))
        }
    }

    @Test func aSecondCredentialNeedsTheAddAuthenticatorsScope() async throws {
        try await withServer { harness in
            try await harness.enroll(TestDevice(), as: "alice")
            let plain = try await harness.track("alice", "enroll").token
            #expect(try await harness.addCredential(TestDevice(), token: plain).isError("unauthorized"))
            let scoped = try await harness.track("alice", "enroll", ["scope": "add:authenticators"]).token
            #expect(try await harness.addCredential(TestDevice(), token: scoped).status == .ok)
            #expect(try await harness.send(.get, "users/alice/authenticators", auth: .secret()).array.count == 2)
        }
    }

    @Test func addCredentialRefusesBadInput() async throws {
        try await withServer { harness in
            let token = try await harness.track("alice", "enroll").token
            let notAKey = try await harness.send(
                .post, prefix, auth: .bearer(token),
                json: ["publicKey": "AAAA", "deviceName": "x", "devicePlatform": "linux"])
            #expect(notAKey.isError("invalid_request"))
            let noPlatform = try await harness.send(
                .post, prefix, auth: .bearer(token),
                json: ["publicKey": TestDevice().publicKey, "deviceName": "x", "devicePlatform": ""])
            #expect(noPlatform.isError("invalid_request"))
            let missing = try await harness.send(.post, prefix, auth: .bearer(token), json: ["deviceName": "x"])
            #expect(missing.isError("invalid_request"))
            #expect(missing.string("errorDescription")?.contains("publicKey") == true)
            let tenantAuth = try await harness.send(
                .post, prefix, auth: .tenant(),
                json: ["publicKey": TestDevice().publicKey, "deviceName": "x", "devicePlatform": "linux"])
            #expect(tenantAuth.isError("unauthorized"))
        }
    }

    @Test func getCredentialAcceptsEveryQueryForm() async throws {
        try await withServer { harness in
            let device = TestDevice()
            let id = try await harness.enroll(device, as: "alice")
            let standard = Data(device.publicKey.utf8).base64EncodedString()
            let forms = [
                device.publicKeyQuery,
                standard.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
                standard.replacingOccurrences(of: "+", with: "%20"),
                device.publicKey.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
            ]
            for form in forms {
                let reply = try await harness.send(.get, "\(prefix)?publicKey=\(form)", auth: .tenant())
                #expect(reply.status == .ok && reply.string("userAuthenticatorId") == id, "\(form)")
            }
            #expect(try await harness.send(.get, prefix, auth: .tenant()).isError("invalid_request"))
            #expect(try await harness.send(.get, "\(prefix)?publicKey=%%%", auth: .tenant()).status == .badRequest)
            let unknown = try await harness.send(
                .get, "\(prefix)?publicKey=\(TestDevice().publicKeyQuery)", auth: .tenant())
            #expect(unknown.status == .notFound && unknown.isError("invalid_credential"))
        }
    }

    @Test func allThreeTenantBasicFormsAreAccepted() async throws {
        try await withServer { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            for auth in [Auth.tenant(), .tenantURLSafe, .tenantBrowser] {
                let reply = try await harness.send(.get, "\(prefix)?publicKey=\(device.publicKeyQuery)", auth: auth)
                #expect(reply.status == .ok, "\(auth)")
            }
            for auth in [Auth.none, .tenant("00000000-0000-4000-8000-000000000000"), .secret(), .header("Basic")] {
                let reply = try await harness.send(.get, "\(prefix)?publicKey=\(device.publicKeyQuery)", auth: auth)
                #expect(reply.status == .unauthorized && reply.isError("unauthorized"), "\(auth)")
            }
        }
    }

    @Test func removeAcceptsTheCurrentAndPreviousWindowOnly() async throws {
        try await withServer { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let now = harness.clock.now()
            for offset in [-2.0, 1.0] {
                let signature = device.signature(for: TestDevice.removalWindow(at: now, offset: offset))
                let reply = try await harness.send(
                    .post, "\(prefix)/remove", auth: .tenant(),
                    json: ["publicKey": device.publicKey, "signature": signature])
                #expect(reply.isError("unauthorized"), "window offset \(offset)")
            }
            let previous = device.signature(for: TestDevice.removalWindow(at: now, offset: -1))
            let removed = try await harness.send(
                .post, "\(prefix)/remove", auth: .tenant(),
                json: ["publicKey": device.publicKey, "signature": previous])
            #expect(removed.status == .ok && removed.string("removedAuthenticatorId") != nil)
            let again = try await harness.send(
                .post, "\(prefix)/remove", auth: .tenant(),
                json: ["publicKey": device.publicKey, "signature": previous])
            #expect(again.isError("invalid_credential"))
            #expect(try await harness.send(.get, "users/alice", auth: .secret()).bool("isEnrolled") == false)
        }
    }

    @Test func removeWithTheCurrentWindowAndMessageFormat() async throws {
        try await withServer { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let message = TestDevice.removalWindow(at: harness.clock.now())
            #expect(message.hasSuffix(".0"))
            let removed = try await harness.send(
                .post, "\(prefix)/remove", auth: .tenant(),
                json: ["publicKey": device.publicKey, "signature": device.signature(for: message)])
            #expect(removed.status == .ok)
        }
    }

    @Test func updateCredentialNeedsASignedSingleUseNonce() async throws {
        try await withServer { harness in
            let device = TestDevice()
            let id = try await harness.enroll(device, as: "alice")
            let nonce = try await harness.send(
                .post, "\(prefix)/sign?publicKey=\(device.publicKeyQuery)", auth: .tenant())
            #expect(nonce.status == .ok)
            let challengeId = try #require(nonce.string("challengeId"))
            let message = try #require(nonce.string("message"))
            let body: [String: Any] = [
                "challengeId": challengeId, "publicKey": device.publicKey,
                "signature": device.signature(for: message), "pushToken": "push-123",
            ]
            let wrongId = try await harness.send(
                .patch, prefix, auth: .tenant(), json: body.merging(["challengeId": "other"]) { $1 })
            #expect(wrongId.isError("unauthorized"))
            let updated = try await harness.send(.patch, prefix, auth: .tenant(), json: body)
            #expect(updated.status == .ok)
            #expect(updated.string("userAuthenticatorId") == id && updated.string("pushToken") == "push-123")
            #expect(updated.string("lastVerifiedAt") != nil && updated.string("userId") == "alice")
            #expect(try await harness.send(.patch, prefix, auth: .tenant(), json: body).isError("unauthorized"))
        }
    }

    @Test func aChallengeNonceCannotUpdateTheCredential() async throws {
        try await withServer { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let message = try #require(try await harness.nonce(device).string("message"))
            let reply = try await harness.send(
                .patch, prefix, auth: .tenant(),
                json: ["challengeId": "x", "publicKey": device.publicKey, "signature": device.signature(for: message)])
            #expect(reply.isError("unauthorized"))
        }
    }

    @Test func nonceAndGetChallengeForUnknownKeys() async throws {
        try await withServer { harness in
            let stranger = TestDevice()
            #expect(try await harness.nonce(stranger).isError("invalid_credential"))
            let reply = try await harness.send(
                .get, "\(prefix)/challenge?publicKey=\(stranger.publicKeyQuery)", auth: .tenant())
            #expect(reply.isError("invalid_credential"))
            let answer = try await harness.answer(stranger, "some-challenge", approved: true)
            #expect(answer.isError("invalid_credential"))
        }
    }

    @Test func updateChallengeForAnUnknownChallengeIsNotFound() async throws {
        try await withServer { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let reply = try await harness.answer(device, "no-such-challenge", approved: true)
            #expect(reply.status == .notFound && reply.isError("not_found"))
        }
    }

    @Test func pollNeedsAKnownChallengeAndABearerToken() async throws {
        try await withServer { harness in
            let token = try await harness.track("alice").token
            #expect(try await harness.poll(token, "nope").isError("not_found"))
            let noAuth = try await harness.send(.post, "client/verify/push", json: ["challengeId": "x"])
            #expect(noAuth.isError("unauthorized"))
            let basic = try await harness.send(.post, "client/verify/push", auth: .tenant(), json: ["challengeId": "x"])
            #expect(basic.isError("unauthorized"))
        }
    }
}
