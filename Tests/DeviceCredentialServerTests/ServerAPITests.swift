import AuthsignalTestDevice
import DeviceCredentialServer
import Foundation
import HTTPTypes
import Testing

/// The secret-key Server API: track, actions, validate, users and authenticators.
@Suite struct ServerAPITests {
    @Test func trackAnswersTheContractShapeWithAnHS256Token() async throws {
        try await withServer { harness in
            let tracked = try await harness.track("alice", "signIn", ["redirectUrl": "https://app.example/done"])
            let reply = tracked.reply
            #expect(reply.contentType == "application/json")
            #expect(reply.string("state") == "ALLOW")
            #expect(reply.bool("isEnrolled") == false)
            #expect(reply.json["enrolledVerificationMethods"] as? [String] == [])
            #expect(reply.json["allowedVerificationMethods"] as? [String] == ["PUSH", "QR_CODE", "IN_APP"])
            #expect(reply.json["ruleIds"] as? [String] == [])
            #expect(reply.string("url")?.contains("token=") == true)

            let parts = tracked.token.split(separator: ".")
            #expect(parts.count == 3)
            let header = try #require(Self.decodeSegment(parts[0]))
            #expect(header["alg"] as? String == "HS256")
            let claims = try #require(Self.decodeSegment(parts[1]))
            #expect(claims["sub"] as? String == "alice")
            let now = Int(harness.clock.now().timeIntervalSince1970)
            #expect(claims["exp"] as? Int == now + 600)
            let other = try #require(claims["other"] as? [String: Any])
            #expect(other["tenantId"] as? String == devTenant)
            #expect(other["userId"] as? String == "alice")
            #expect(other["actionCode"] as? String == "signIn")
            #expect(other["idempotencyKey"] as? String == tracked.idempotencyKey)
        }
    }

    private static func decodeSegment(_ segment: Substring) -> [String: Any]? {
        var text = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    @Test func retrackingWithTheSameIdempotencyKeyReturnsTheSameAction() async throws {
        try await withServer { harness in
            let first = try await harness.track("alice", "signIn", ["idempotencyKey": "key-1"])
            #expect(first.idempotencyKey == "key-1")
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            // Enrolled now, but the action keeps the state it was created with.
            let again = try await harness.track("alice", "signIn", ["idempotencyKey": "key-1"])
            #expect(again.state == first.state)
            #expect(again.idempotencyKey == "key-1")
            let reused = try await harness.send(
                .post, "users/bob/actions/signIn", auth: .secret(), json: ["idempotencyKey": "key-1"])
            #expect(reused.isError("invalid_request"))
        }
    }

    @Test func challengeIsGatedOnEnrollment() async throws {
        try await withServer { harness in
            #expect(try await harness.track("alice").state == "ALLOW")
            try await harness.enroll(TestDevice(), as: "alice")
            let tracked = try await harness.track("alice")
            #expect(tracked.state == "CHALLENGE_REQUIRED")
            #expect(tracked.reply.json["enrolledVerificationMethods"] as? [String] == ["PUSH"])
            #expect(tracked.reply.string("defaultVerificationMethod") == "PUSH")
        }
    }

    @Test func defaultOutcomesAndRulesByPriority() async throws {
        let policies: [String: ActionPolicy] = [
            "login": ActionPolicy(defaultOutcome: .allow),
            "wire": ActionPolicy(defaultOutcome: .review),
            "delete": ActionPolicy(defaultOutcome: .block),
            "pay": ActionPolicy(
                defaultOutcome: .allow,
                rules: [
                    Rule(
                        id: "big", priority: 2, outcome: .challenge,
                        conditions: [Condition(field: "custom.amount", op: .greaterThan, value: .number(1000))]),
                    Rule(
                        id: "blocked-ip", priority: 1, outcome: .block,
                        conditions: [
                            Condition(
                                field: "ipAddress", op: .isIn, value: .array([.string("6.6.6.6"), .string("7.7.7.7")]))
                        ]),
                ]),
        ]
        try await TestServer { $0.actions = policies }.run { harness in
            try await harness.enroll(TestDevice(), as: "alice")
            #expect(try await harness.track("alice", "login").state == "ALLOW")
            #expect(try await harness.track("alice", "wire").state == "REVIEW_REQUIRED")
            #expect(try await harness.track("alice", "delete").state == "BLOCK")
            #expect(try await harness.track("alice", "unconfigured").state == "CHALLENGE_REQUIRED")
            #expect(try await harness.track("alice", "pay", ["custom": ["amount": 50]]).state == "ALLOW")
            let big = try await harness.track("alice", "pay", ["custom": ["amount": 5000]])
            #expect(big.state == "CHALLENGE_REQUIRED")
            #expect(big.reply.json["ruleIds"] as? [String] == ["big"])
            let both = try await harness.track("alice", "pay", ["custom": ["amount": 5000], "ipAddress": "6.6.6.6"])
            #expect(both.state == "BLOCK")
            #expect(both.reply.json["ruleIds"] as? [String] == ["blocked-ip"])
        }
    }

    @Test func getActionAndUpdateAction() async throws {
        try await withServer { harness in
            let tracked = try await harness.track("alice", "signIn", ["idempotencyKey": "k1"])
            let path = "users/alice/actions/signIn/k1"
            let got = try await harness.send(.get, path, auth: .secret())
            #expect(got.status == .ok && got.string("state") == "ALLOW")
            #expect(got.string("createdAt") != nil && got.string("stateUpdatedAt") != nil)
            #expect(got.json["rules"] is [Any] && got.json["output"] is [String: Any])
            _ = tracked

            let updated = try await harness.send(.patch, path, auth: .secret(), json: ["state": "REVIEW_SUCCEEDED"])
            #expect(updated.status == .ok && updated.string("state") == "REVIEW_SUCCEEDED")
            #expect(try await harness.send(.get, path, auth: .secret()).string("state") == "REVIEW_SUCCEEDED")

            let bad = try await harness.send(.patch, path, auth: .secret(), json: ["state": "MAYBE"])
            #expect(bad.status == .badRequest && bad.isError("invalid_request"))
            #expect(
                try await harness.send(.get, "users/alice/actions/signIn/nope", auth: .secret()).isError("not_found"))
            #expect(try await harness.send(.get, "users/bob/actions/signIn/k1", auth: .secret()).isError("not_found"))
            #expect(try await harness.send(.get, "users/alice/actions/other/k1", auth: .secret()).isError("not_found"))
        }
    }

    @Test func validateChecksTheToken() async throws {
        try await withServer { harness in
            let tracked = try await harness.track("alice")
            let ok = try await harness.validate(tracked.token)
            #expect(ok.status == .ok && ok.bool("isValid") == false && ok.string("state") == "ALLOW")
            #expect(ok.string("userId") == "alice" && ok.string("action") == "signIn")
            #expect(try await harness.validate(tracked.token, ["userId": "bob"]).isError("invalid_request"))
            #expect(try await harness.validate(tracked.token, ["action": "other"]).isError("invalid_request"))

            var forged = tracked.token
            forged.removeLast(2)
            forged += "AA"
            #expect(try await harness.validate(forged).isError("invalid_request"))
            #expect(try await harness.validate("garbage").isError("invalid_request"))

            harness.clock.advance(by: 601)
            let expired = try await harness.validate(tracked.token)
            #expect(expired.status == .badRequest && expired.isError("expired_token"))
        }
    }

    @Test func tokensFromAnotherSecretAreRefused() async throws {
        let foreign = try await TestServer { $0.secretKey = "another-secret" }.run { harness in
            try await harness.send(.post, "users/alice/actions/signIn", auth: .secret("another-secret"), json: [:])
                .string("token")!
        }
        try await withServer { harness async throws in
            let validated = try await harness.validate(foreign)
            #expect(validated.isError("invalid_request"))
            let started = try await harness.startPush(foreign)
            #expect(started.isError("unauthorized"))
        }
    }

    @Test func getUserAndAuthenticators() async throws {
        try await withServer { harness in
            let unknown = try await harness.send(.get, "users/nobody", auth: .secret())
            #expect(unknown.status == .ok && unknown.bool("isEnrolled") == false)
            #expect(try await harness.send(.get, "users/nobody/authenticators", auth: .secret()).array.isEmpty)

            let id = try await harness.enroll(TestDevice(), as: "alice")
            let user = try await harness.send(.get, "users/alice", auth: .secret())
            #expect(user.bool("isEnrolled") == true)
            #expect(user.json["enrolledVerificationMethods"] as? [String] == ["PUSH"])

            let list = try await harness.send(.get, "users/alice/authenticators", auth: .secret())
            #expect(list.status == .ok && list.contentType == "application/json")
            let entry = try #require(list.array.first)
            #expect(entry["userAuthenticatorId"] as? String == id)
            #expect(entry["verificationMethod"] as? String == "PUSH")
            #expect(entry["devicePlatform"] as? String == "linux")
            #expect(entry["displayName"] as? String == "test laptop")
            #expect(entry["createdAt"] is String && entry["verifiedAt"] is String)
        }
    }

    @Test func deleteAuthenticator() async throws {
        try await withServer { harness in
            let id = try await harness.enroll(TestDevice(), as: "alice")
            #expect(
                try await harness.send(.delete, "users/bob/authenticators/\(id)", auth: .secret()).isError("not_found"))
            let deleted = try await harness.send(.delete, "users/alice/authenticators/\(id)", auth: .secret())
            #expect(
                deleted.status == .ok && deleted.json.isEmpty && String(decoding: deleted.body, as: UTF8.self) == "{}")
            #expect(
                try await harness.send(.delete, "users/alice/authenticators/\(id)", auth: .secret()).isError(
                    "not_found"))
            #expect(try await harness.send(.get, "users/alice", auth: .secret()).bool("isEnrolled") == false)
        }
    }

    @Test(arguments: [
        (HTTPRequest.Method.post, "users/alice/actions/signIn"),
        (.get, "users/alice/actions/signIn/k"),
        (.patch, "users/alice/actions/signIn/k"),
        (.post, "validate"),
        (.get, "users/alice"),
        (.get, "users/alice/authenticators"),
        (.delete, "users/alice/authenticators/x"),
    ])
    func serverAPIRefusesAnythingButTheSecretKey(method: HTTPRequest.Method, path: String) async throws {
        try await withServer { harness in
            for auth in [Auth.none, .secret("wrong"), .tenant(), .bearer("x"), .header("Basic !!!")] {
                let reply = try await harness.send(method, path, auth: auth, body: Data("{}".utf8))
                #expect(reply.status == .unauthorized && reply.isError("unauthorized"), "\(auth)")
            }
        }
    }
}
