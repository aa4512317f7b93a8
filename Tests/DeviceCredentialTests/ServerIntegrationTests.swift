import DeviceCredentialTestSupport
import Foundation
import Testing

@testable import DeviceCredential

/// The device client against the real devicecred-server over loopback (`DEVICECRED_TEST_API_URL`):
/// every call, success and failure, as the backend and the browser of a push sign-in see it.
@Suite("Against devicecred-server")
struct ServerIntegrationTests {
    /// A fresh user enrolled with a fresh profile and in-memory key.
    private struct Enrolled {
        var server: ServerAPI
        var userID: String
        var client: DeviceCredentialClient
        var store: InMemoryKeyStore
        var credential: AppCredential
    }

    private func enroll(
        _ server: ServerAPI, namespace: DeviceNamespace = .push, store: InMemoryKeyStore = InMemoryKeyStore()
    ) async throws -> Enrolled {
        let userID = ServerAPI.newUserID()
        let client = try DeviceCredentialClient(
            profile: try server.profile(namespace: namespace), keyStore: store)
        let credential = try await client.addCredential(token: try await server.track(userID: userID).token)
        return Enrolled(server: server, userID: userID, client: client, store: store, credential: credential)
    }

    @Test("enroll, then the service knows the credential; enrolling again keeps the same key")
    func enrollAndGet() async throws {
        let server = try TestServices.server()
        let device = try await enroll(server)
        #expect(device.credential.userId == device.userID)
        #expect(!device.credential.userAuthenticatorId.isEmpty)
        #expect(device.credential.verifiedAt != nil)
        let publicKey = try #require(try device.client.localPublicKey())

        let seen = try await device.client.getCredential()
        #expect(seen.userAuthenticatorId == device.credential.userAuthenticatorId)
        #expect(seen.userId == device.userID)

        let token = try await server.track(userID: device.userID).token
        _ = try await device.client.addCredential(token: token)
        #expect(try device.client.localPublicKey() == publicKey)
    }

    @Test("nothing pending is nil; a push challenge is fetched with its context, approved, and validates")
    func approveFlow() async throws {
        let server = try TestServices.server()
        let device = try await enroll(server)
        #expect(try await device.client.getChallenge() == nil)

        let tracked = try await server.track(userID: device.userID, action: "signIn")
        let token = tracked.token
        let challengeID = try await server.startPush(token: token).challengeID
        let challenge = try #require(try await device.client.getChallenge())
        #expect(challenge.challengeId == challengeID)
        #expect(challenge.userAuthenticatorId == device.credential.userAuthenticatorId)
        #expect(challenge.actionCode == "signIn")
        #expect(challenge.userId == device.userID)
        #expect(challenge.idempotencyKey == tracked.idempotencyKey)
        #expect((challenge.expiresAt ?? .distantPast) > Date())

        #expect(try await device.client.updateChallenge(challengeId: challengeID, approved: true))
        let poll = try await server.poll(token: token, challengeID: challengeID)
        #expect(poll.isVerified == true)
        let accessToken = try #require(poll.accessToken)
        let validation = try await server.validate(token: accessToken)
        #expect(validation["state"] as? String == "CHALLENGE_SUCCEEDED")
        #expect(validation["isValid"] as? Bool == true)
        #expect(try await device.client.getChallenge() == nil)
    }

    @Test("a denied challenge is consumed without verification; answering it again fails")
    func denyAndConsumed() async throws {
        let server = try TestServices.server()
        let device = try await enroll(server)
        let token = try await server.track(userID: device.userID).token
        let challengeID = try await server.startPush(token: token).challengeID
        #expect(try await device.client.updateChallenge(challengeId: challengeID, approved: false) == false)
        let poll = try await server.poll(token: token, challengeID: challengeID)
        #expect(poll.isVerified == false)
        #expect(poll.isConsumed == true)
        do {
            try await device.client.updateChallenge(challengeId: challengeID, approved: true)
            Issue.record("a consumed challenge was answered again")
        } catch let error as DeviceCredentialError {
            // Refused on this machine before signing (its answer claim is marked); the server's own refusal
            // of a second answer (409) is in the server's tests.
            #expect(error.code == .alreadyAnswered, "refused: \(error)")
        }
        #expect(try device.client.localPublicKey() != nil)
    }

    @Test("updateCredential proves possession and refreshes lastVerifiedAt")
    func updateCredential() async throws {
        let server = try TestServices.server()
        let device = try await enroll(server)
        let updated = try await device.client.updateCredential(resetExpiry: true)
        #expect(updated.userAuthenticatorId == device.credential.userAuthenticatorId)
        #expect(updated.lastVerifiedAt != nil)
    }

    @Test("removeCredential removes it on the service, then deletes the key")
    func removeCredential() async throws {
        let server = try TestServices.server()
        let device = try await enroll(server)
        let removed = try await device.client.removeCredential()
        #expect(removed == nil || removed == device.credential.userAuthenticatorId)
        #expect(try device.client.localPublicKey() == nil)
        await #expect(throws: DeviceCredentialError(code: .notEnrolled, message: "")) {
            try await device.client.getCredential()
        }
    }

    @Test("a credential revoked on the server is invalid_credential; remove then deletes the local key")
    func revokedCredential() async throws {
        let server = try TestServices.server()
        let device = try await enroll(server)
        try await server.deleteAuthenticator(
            userID: device.userID, id: device.credential.userAuthenticatorId)
        let revoked = DeviceCredentialError(code: .invalidCredential, message: "")
        await #expect(throws: revoked) { try await device.client.getCredential() }
        await #expect(throws: revoked) { try await device.client.getChallenge() }
        #expect(try device.client.localPublicKey() != nil, "a revoked credential's key is kept until removed")
        #expect(try await device.client.removeCredential() == nil)
        #expect(try device.client.localPublicKey() == nil)
    }

    @Test("an expired enrollment token is expired_token and creates no credential")
    func expiredToken() async throws {
        let server = try TestServices.server()
        let userID = ServerAPI.newUserID()
        let token = try await ExpiredToken.make(server: server, userID: userID)
        let client = try DeviceCredentialClient(profile: try server.profile(), keyStore: InMemoryKeyStore())
        await #expect(throws: DeviceCredentialError(code: .expiredToken, message: "")) {
            try await client.addCredential(token: token)
        }
        await #expect(throws: DeviceCredentialError(code: .invalidCredential, message: "")) {
            try await client.getCredential()
        }
    }

    @Test("a profile with the wrong tenant is refused")
    func wrongTenant() async throws {
        let server = try TestServices.server()
        let device = try await enroll(server)
        var profile = device.client.profile
        profile.tenantID = UUID().uuidString.lowercased()
        let stranger = try DeviceCredentialClient(profile: profile, keyStore: device.store)
        do {
            _ = try await stranger.getCredential()
            Issue.record("a wrong tenant was accepted")
        } catch let error as DeviceCredentialError {
            #expect([.unauthorized, .invalidCredential].contains(error.code), "\(error)")
        }
        #expect(try await device.client.getCredential().userId == device.userID)
    }

    @Test("several profiles at once: each sees only its own challenge")
    func severalProfiles() async throws {
        let server = try TestServices.server()
        let store = InMemoryKeyStore()
        let first = try await enroll(server, store: store)
        let second = try await enroll(server, store: store)
        #expect(try first.client.localPublicKey() != second.client.localPublicKey())

        let firstToken = try await server.track(userID: first.userID).token
        let firstChallenge = try await server.startPush(token: firstToken).challengeID
        let secondToken = try await server.track(userID: second.userID).token
        let secondChallenge = try await server.startPush(token: secondToken).challengeID

        async let firstSeen = first.client.getChallenge()
        async let secondSeen = second.client.getChallenge()
        let (a, b) = try await (firstSeen, secondSeen)
        #expect(a?.challengeId == firstChallenge)
        #expect(b?.challengeId == secondChallenge)

        async let firstAnswer = first.client.updateChallenge(challengeId: firstChallenge, approved: true)
        async let secondAnswer = second.client.updateChallenge(challengeId: secondChallenge, approved: false)
        #expect(try await (firstAnswer, secondAnswer) == (true, false))
    }

    @Test("a profile's key cannot answer another profile's challenge")
    func crossProfileChallenge() async throws {
        let server = try TestServices.server()
        let first = try await enroll(server)
        let second = try await enroll(server)
        let token = try await server.track(userID: first.userID).token
        let challengeID = try await server.startPush(token: token).challengeID
        do {
            try await second.client.updateChallenge(challengeId: challengeID, approved: true)
            Issue.record("another user's device answered the challenge")
        } catch let error as DeviceCredentialError {
            #expect(error.httpStatus != nil, "\(error)")
        }
        let poll = try await server.poll(token: token, challengeID: challengeID)
        #expect(poll.isVerified != true)
    }

    @Test("the legacy device namespace: add, get, remove")
    func deviceNamespace() async throws {
        let server = try TestServices.server()
        let device = try await enroll(server, namespace: .device)
        #expect(try await device.client.getCredential().userAuthenticatorId == device.credential.userAuthenticatorId)
        try await device.client.removeCredential()
        #expect(try device.client.localPublicKey() == nil)
    }
}

/// An HS256 JWT like the server's `track` tokens, signed with the secret key but already expired.
enum ExpiredToken {
    static func make(server: ServerAPI, userID: String) async throws -> String {
        let now = Int(Date().timeIntervalSince1970)
        let header = #"{"alg":"HS256","typ":"JWT"}"#
        let claims = """
            {"sub":"\(userID)","iat":\(now - 1200),"exp":\(now - 600),\
            "other":{"tenantId":"\(server.tenantID)","userId":"\(userID)","actionCode":"signIn","idempotencyKey":"\(UUID().uuidString)"}}
            """
        let input = base64URL(Data(header.utf8)) + "." + base64URL(Data(claims.utf8))
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try input.write(toFile: directory.path + "/input", atomically: true, encoding: .utf8)
        let mac = try await runProgram(
            "/usr/bin/openssl",
            [
                "dgst", "-sha256", "-mac", "HMAC", "-macopt", "key:\(server.secretKey)", "-binary", "-out",
                directory.path + "/mac", directory.path + "/input",
            ])
        try #require(mac.status == 0, "openssl: \(mac.output)")
        return input + "." + base64URL(try Data(contentsOf: URL(fileURLWithPath: directory.path + "/mac")))
    }

    private static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
