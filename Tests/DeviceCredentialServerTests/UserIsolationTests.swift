import AuthsignalTestDevice
import DeviceCredentialServer
import Foundation
import Testing

/// One user's device never counts for another: ids are compared as bytes, and the one-credential limit
/// of an unscoped token holds under parallel requests.
@Suite struct UserIsolationTests {
    typealias Store = RepositoryContractTests.Store

    /// NFC `josé` (`jos%C3%A9`) and NFD `josé` (`jose%CC%81`) look the same and are equal for Swift's
    /// `String ==`, but they are two users.
    @Test(arguments: Store.allCases)
    func canonicallyEquivalentUserIdsAreTwoUsers(store: Store) async throws {
        try await withServer(on: store) { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "jos%C3%A9")
            let other = try await harness.send(.get, "users/jose%CC%81", auth: .secret())
            #expect(other.status == .ok && other.bool("isEnrolled") == false)
            #expect(try await harness.send(.get, "users/jose%CC%81/authenticators", auth: .secret()).array.isEmpty)

            // The other user's sign-in is not a push the first user's device can see or approve.
            let tracked = try await harness.track("jose%CC%81")
            #expect(tracked.state == "ALLOW" && tracked.reply.bool("isEnrolled") == false)
            let start = try await harness.startPush(tracked.token)
            #expect(start.isError("invalid_request"))
            #expect(try await harness.getChallenge(device).string("challengeId") == nil)
        }
    }

    @Test(arguments: Store.allCases)
    func canonicallyEquivalentIdempotencyKeysAreTwoActions(store: Store) async throws {
        try await withServer(on: store) { harness in
            let nfc = try await harness.track("alice", "signIn", ["idempotencyKey": "k-jos\u{E9}"])
            let nfd = try await harness.send(
                .post, "users/bob/actions/signIn", auth: .secret(), json: ["idempotencyKey": "k-jose\u{301}"])
            #expect(nfd.status == .ok, "\(nfd.text)")
            #expect(try await harness.validate(nfc.token).string("userId") == "alice")
            let bobs = try await harness.validate(try #require(nfd.string("token")))
            #expect(bobs.string("userId") == "bob")
            #expect(bobs.string("idempotencyKey")?.utf8.elementsEqual("k-jose\u{301}".utf8) == true)
        }
    }

    @Test(arguments: Store.allCases)
    func parallelEnrollmentsWithOneUnscopedTokenAddOneCredential(store: Store) async throws {
        try await withServer(on: store) { harness in
            let tracked = try await harness.track("alice", "enroll")
            let bodies: [[String: Any]] = (0..<8).map { _ in
                ["publicKey": TestDevice().publicKey, "deviceName": "laptop", "devicePlatform": "linux"]
            }
            let replies = try await harness.parallel(
                .post, "client/user-authenticators/push", auth: .bearer(tracked.token), bodies: bodies)
            #expect(replies.filter { $0.status == .ok }.count == 1)
            #expect(replies.filter { $0.status == .unauthorized && $0.isError("unauthorized") }.count == 7)
            let listed = try await harness.send(.get, "users/alice/authenticators", auth: .secret())
            #expect(listed.array.count == 1)
        }
    }
}
