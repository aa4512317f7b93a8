import AuthsignalTestDevice
import DeviceCredentialServer
import Foundation
import HTTPTypes
import Testing

/// Whatever a client sends, the answer is a JSON error in the contract's shape and nothing breaks.
@Suite struct MalformedInputTests {
    @Test func unknownRoutesAndMethodsAreJSONErrors() async throws {
        try await withServer { harness in
            let unknown = try await harness.send(.get, "/v1/nothing/here")
            #expect(unknown.status == .notFound && unknown.isError("not_found"))
            let outside = try await harness.send(.get, "/")
            #expect(outside.status == .notFound && outside.isError("not_found"))
            let wrongMethod = try await harness.send(.put, "validate", auth: .secret(), body: Data("{}".utf8))
            #expect(wrongMethod.status == .methodNotAllowed && wrongMethod.isError("invalid_request"))
            let deleteUser = try await harness.send(.delete, "users/alice", auth: .secret())
            #expect(deleteUser.status == .methodNotAllowed)
        }
    }

    @Test func truncatedJSONIsInvalidRequest() async throws {
        try await withServer { harness in
            let reply = try await harness.send(
                .post, "users/alice/actions/signIn", auth: .secret(), body: Data(#"{"idempotencyKey": "ab"#.utf8))
            #expect(reply.status == .badRequest && reply.isError("invalid_request"))
            #expect(reply.string("errorDescription") == "the body is not valid JSON")
        }
    }

    @Test func wrongTypesNameTheField() async throws {
        try await withServer { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let reply = try await harness.send(
                .post, "client/user-authenticators/push/challenge", auth: .tenant(),
                json: ["challengeId": "x", "publicKey": device.publicKey, "approved": "yes", "signature": "x"])
            #expect(reply.isError("invalid_request"))
            #expect(reply.string("errorDescription") == "field 'approved' must be a boolean")
            let custom = try await harness.send(
                .post, "users/alice/actions/signIn", auth: .secret(), json: ["custom": "not an object"])
            #expect(custom.isError("invalid_request"))
            let array = try await harness.send(.post, "validate", auth: .secret(), body: Data("[1,2]".utf8))
            #expect(array.isError("invalid_request"))
            let nullToken = try await harness.send(
                .post, "validate", auth: .secret(), body: Data(#"{"token":null}"#.utf8))
            #expect(nullToken.isError("invalid_request"))
        }
    }

    @Test func bodiesOver64KiBAreRefusedWith413() async throws {
        try await withServer { harness in
            let padding = String(repeating: "a", count: 70 * 1024)
            let huge = Data(#"{"idempotencyKey":"k","custom":{"pad":"\#(padding)"}}"#.utf8)
            let reply = try await harness.send(.post, "users/alice/actions/signIn", auth: .secret(), body: huge)
            #expect(reply.status == .contentTooLarge && reply.isError("invalid_request"))
            // Nothing was stored, and the server still answers.
            let after = try await harness.send(.get, "users/alice/actions/signIn/k", auth: .secret())
            #expect(after.isError("not_found"))
            let justUnder = Data(#"{"custom":{"pad":"\#(String(repeating: "a", count: 60 * 1024))"}}"#.utf8)
            #expect(
                try await harness.send(.post, "users/alice/actions/signIn", auth: .secret(), body: justUnder).status
                    == .ok)
        }
    }

    @Test func deeplyNestedJSONIsRefusedWithoutHarm() async throws {
        try await withServer { harness in
            let depth = 20_000
            let deep =
                #"{"custom":{"a":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}}"
            let reply = try await harness.send(
                .post, "users/alice/actions/signIn", auth: .secret(), body: Data(deep.utf8))
            #expect(reply.status == .badRequest && reply.isError("invalid_request"))
            #expect(try await harness.send(.get, "users/alice", auth: .secret()).status == .ok)
        }
    }

    /// Found by `devicecred-fuzz server-json`: 400 levels of brackets (a kilobyte) took the decoder seconds of
    /// CPU, each level costing more than the last; a value nests at most 32 levels from the body's root.
    @Test func customDeeperThan32LevelsIsRefusedAndUpTo31Accepted() async throws {
        try await withServer { harness in
            func track(depth: Int) async throws -> Reply {
                let custom =
                    String(repeating: #"{"a":"#, count: depth - 1) + "1" + String(repeating: "}", count: depth - 1)
                return try await harness.send(
                    .post, "users/alice/actions/signIn", auth: .secret(), body: Data(#"{"custom":\#(custom)}"#.utf8))
            }
            for depth in [32, 400] {
                let reply = try await track(depth: depth)
                #expect(reply.status == .badRequest && reply.isError("invalid_request"), "depth \(depth)")
                #expect(
                    reply.string("errorDescription")?.hasSuffix("has an invalid value: nested deeper than 32 levels")
                        == true)
            }
            #expect(try await track(depth: 31).status == .ok)
        }
    }

    @Test func nonUTF8IsInvalidRequest() async throws {
        try await withServer { harness in
            let bytes = Data([0x7B, 0x22, 0x74, 0x6F, 0x6B, 0x65, 0x6E, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D])
            let reply = try await harness.send(.post, "validate", auth: .secret(), body: bytes)
            #expect(reply.status == .badRequest && reply.isError("invalid_request"))
        }
    }

    @Test(arguments: ["..", "..%2Fx", "a%2Fb", "a%5Cb", "%00", "a%0Ab", "%E0%A4%A"])
    func pathInjectionInUserIdsIsRefused(userId: String) async throws {
        try await withServer { harness in
            let reply = try await harness.send(.get, "users/\(userId)/authenticators", auth: .secret())
            #expect(reply.status == .badRequest && reply.isError("invalid_request"))
            let track = try await harness.send(.post, "users/\(userId)/actions/signIn", auth: .secret(), json: [:])
            #expect(track.status == .badRequest && track.isError("invalid_request"))
        }
    }

    @Test func dotSegmentsDoNotReachOtherRoutes() async throws {
        try await withServer { harness in
            let reply = try await harness.send(.get, "/v1/users/../validate", auth: .secret())
            #expect(reply.status == .notFound && reply.isError("not_found"))
        }
    }

    @Test func percentEncodedUserIdsAreDecoded() async throws {
        try await withServer { harness in
            let tracked = try await harness.send(
                .post, "users/alice%40example.com/actions/signIn", auth: .secret(), json: [:])
            #expect(tracked.status == .ok)
            let token = try #require(tracked.string("token"))
            #expect(try await harness.validate(token).string("userId") == "alice@example.com")
        }
    }

    @Test func garbageSignaturesAndKeysAreRefusedCleanly() async throws {
        try await withServer { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let badBase64 = try await harness.answer(device, "c", approved: true, signature: "%%%not base64")
            #expect(badBase64.isError("unauthorized"))
            let notDER = try await harness.answer(
                device, "c", approved: true, signature: Data(repeating: 1, count: 70).base64EncodedString())
            #expect(notDER.isError("unauthorized"))
            let header = try await harness.send(
                .get, "client/user-authenticators/push/challenge?publicKey=\(device.publicKeyQuery)", auth: .tenant(),
                headers: [signatureHeader: "garbage"])
            #expect(header.isError("unauthorized"))
        }
    }

    @Test func successIsExactlyApplicationJSON() async throws {
        try await withServer { harness in
            let reply = try await harness.send(.get, "users/alice", auth: .secret())
            #expect(reply.status == .ok && reply.contentType == "application/json")
        }
    }

    @Test func logsCarryNoSecretsTokensOrSignatures() async throws {
        try await withServer { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let tracked = try await harness.track("alice")
            let challengeId = try #require(try await harness.startPush(tracked.token).string("challengeId"))
            let signature = device.signature(for: challengeId)
            _ = try await harness.getChallenge(device)
            _ = try await harness.answer(device, challengeId, approved: true, signature: signature)
            let accessToken = try #require(try await harness.poll(tracked.token, challengeId).string("accessToken"))
            _ = try await harness.validate(accessToken)

            let logs = harness.logs.lines
            #expect(logs.contains { $0.contains("path=/v1/client/verify/push") && $0.contains("status=200") })
            let forbidden = [
                devSecret, tracked.token, accessToken, signature, device.publicKeyQuery,
                Data("\(devSecret):".utf8).base64EncodedString(),
            ]
            for line in logs {
                for secret in forbidden { #expect(!line.contains(secret), "log line leaks: \(line)") }
            }
        }
    }
}

/// Values from request bodies that used to get through and break things later.
@Suite struct HostileBodyValueTests {
    typealias Store = RepositoryContractTests.Store

    /// An idempotency key names the action in getAction's path, so it follows the path identifiers' rules.
    @Test(arguments: [
        "a/b", "..", ".", "", "a\u{0}b", "line\nbreak", "tab\t", "a\\b", "/\u{301}", "\u{85}",
        String(repeating: "k", count: 257),
    ])
    func idempotencyKeysThatCannotBeAPathSegmentAreRefused(key: String) async throws {
        try await withServer { harness in
            let reply = try await harness.send(
                .post, "users/alice/actions/signIn", auth: .secret(), json: ["idempotencyKey": key])
            #expect(reply.status == .badRequest && reply.isError("invalid_request"))
            #expect(reply.string("errorDescription")?.contains("idempotencyKey") == true)
        }
    }

    @Test func anAcceptedIdempotencyKeyCanBeReadBack() async throws {
        try await withServer { harness in
            let key = "order 42:é+%"
            #expect(try await harness.track("alice", "signIn", ["idempotencyKey": key]).idempotencyKey == key)
            let encoded = try #require(key.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
            let read = try await harness.send(.get, "users/alice/actions/signIn/\(encoded)", auth: .secret())
            #expect(read.status == .ok && read.string("idempotencyKey") == key)
        }
    }

    /// Numbers in `custom` too large for a Double, or at its edge, must not trap or turn into a 500 when
    /// the action is stored, read back or shown to the device.
    @Test(arguments: Store.allCases)
    func extremeNumbersInCustomDoNotBreakTheFlow(store: Store) async throws {
        try await withServer(on: store) { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            for number in ["1e400", "-1e400", "1.7976931348623157e308", "123456789012345678901234567890", "-0"] {
                let body = Data(#"{"custom": {"n": \#(number)}}"#.utf8)
                let reply = try await harness.send(.post, "users/alice/actions/signIn", auth: .secret(), body: body)
                #expect(reply.status == .ok || reply.isError("invalid_request"), "\(number): \(reply.text)")
                guard reply.status == .ok, let token = reply.string("token") else { continue }
                let key = try #require(reply.string("idempotencyKey"))
                #expect(
                    try await harness.send(.get, "users/alice/actions/signIn/\(key)", auth: .secret()).status == .ok)
                #expect(try await harness.startPush(token).status == .ok)
                #expect(try await harness.getChallenge(device).status == .ok, "\(number)")
            }
        }
    }
}

/// Bad input on the QR-code and in-app endpoints: a clear error, nothing stored, nothing claimed.
@Suite struct QRAndInAppMalformedInputTests {
    @Test func qrCodeCreationAndPollingRefuseBadBodiesAndAuth() async throws {
        try await withServer { harness in
            let noAuth = try await harness.send(.post, "client/challenge/qr-code", json: ["action": "signIn"])
            #expect(noAuth.isError("unauthorized"))
            let wrongTenant = try await harness.send(
                .post, "client/challenge/qr-code", auth: .tenant("other"), json: ["action": "signIn"])
            #expect(wrongTenant.isError("unauthorized"))
            let badBearer = try await harness.send(
                .post, "client/challenge/qr-code", auth: .bearer("not.a.jwt"), json: ["action": "signIn"])
            #expect(badBearer.isError("unauthorized"))
            let noAction = try await harness.send(.post, "client/challenge/qr-code", auth: .tenant(), json: [:])
            #expect(
                noAction.isError("invalid_request") && noAction.string("errorDescription") == "missing field 'action'")
            for action in ["", "a/b", "line\nbreak", String(repeating: "x", count: 300)] {
                let reply = try await harness.send(
                    .post, "client/challenge/qr-code", auth: .tenant(), json: ["action": action])
                #expect(reply.isError("invalid_request"))
            }
            let custom = try await harness.send(
                .post, "client/challenge/qr-code", auth: .tenant(), json: ["action": "signIn", "custom": [1, 2]])
            #expect(custom.isError("invalid_request"))
            let tracked = try await harness.track("alice", "signIn")
            let otherAction = try await harness.send(
                .post, "client/challenge/qr-code", auth: .bearer(tracked.token), json: ["action": "transfer"])
            #expect(otherAction.isError("invalid_request"))
            let noDeviceCode = try await harness.send(
                .post, "client/verify/qr-code", auth: .tenant(), json: ["challengeId": "x"])
            #expect(noDeviceCode.isError("invalid_request"))
            let unknown = try await harness.send(
                .post, "client/verify/qr-code", auth: .tenant(), json: ["challengeId": "x", "deviceCode": "y"])
            #expect(unknown.isError("not_found"))
            let pollNoAuth = try await harness.send(
                .post, "client/verify/qr-code", json: ["challengeId": "x", "deviceCode": "y"])
            #expect(pollNoAuth.isError("unauthorized"))
        }
    }

    @Test func claimsAnswersAndVerificationsRefuseBadBodies() async throws {
        try await withServer { harness in
            let device = TestDevice()
            for path in ["client/user-authenticators/qr-code/challenge/claim", "client/verify/in-app"] {
                let missing = try await harness.send(.post, path, auth: .tenant(), json: ["challengeId": "x"])
                #expect(missing.isError("invalid_request"), "\(path)")
                let badKey = try await harness.send(
                    .post, path, auth: .tenant(),
                    json: ["challengeId": "x", "publicKey": "not base64!", "signature": "x"])
                #expect(badKey.isError("invalid_request"), "\(path)")
                let unknownKey = try await harness.send(
                    .post, path, auth: .tenant(),
                    json: ["challengeId": "x", "publicKey": device.publicKey, "signature": device.signature(for: "x")])
                #expect(unknownKey.isError("invalid_credential"), "\(path)")
                let wrongType = try await harness.send(
                    .post, path, auth: .tenant(),
                    json: ["challengeId": 7, "publicKey": device.publicKey, "signature": "x"])
                #expect(wrongType.string("errorDescription") == "field 'challengeId' must be a string", "\(path)")
            }
            let answer = try await harness.send(
                .post, "client/user-authenticators/qr-code/challenge", auth: .tenant(),
                json: ["challengeId": "x", "publicKey": device.publicKey, "approved": "yes", "signature": "x"])
            #expect(answer.string("errorDescription") == "field 'approved' must be a boolean")
            let challengeNoAuth = try await harness.send(.post, "client/challenge", json: ["action": "signIn"])
            #expect(challengeNoAuth.isError("unauthorized"))
            let badAction = try await harness.send(.post, "client/challenge", auth: .tenant(), json: ["action": 5])
            #expect(badAction.isError("invalid_request"))
            let slash = try await harness.send(.post, "client/challenge", auth: .tenant(), json: ["action": "../x"])
            #expect(slash.isError("invalid_request"))
            let wrongMethod = try await harness.send(.get, "client/challenge/qr-code", auth: .tenant())
            #expect(wrongMethod.status == .methodNotAllowed)
            // The QR-code and in-app namespaces have no nonce or getChallenge.
            let noNonce = try await harness.send(
                .post, "client/user-authenticators/in-app/challenge/sign?publicKey=\(device.publicKeyQuery)",
                auth: .tenant())
            #expect(noNonce.status == .notFound)
        }
    }
}
