import DeviceCredentialLocking
import DeviceCredentialTestSupport
import Foundation
import Testing

@testable import DeviceCredential

extension TPMTests {
    /// The whole push flow against the local server with a TPM key: the client does not change with the
    /// key kind, and the server (swift-crypto) accepts the TPM's signatures.
    @Suite struct PushFlow {
        @Test(arguments: [false, true])
        func approvingAPushWithATPMKeySucceeds(withPIN: Bool) async throws {
            try TPMTestEnvironment.requireSimulator()
            let server = try TestServices.server()
            let backend = server
            let userID = "tpm-user-" + UUID().uuidString.prefix(8).lowercased()
            let pins = RecordingPINProvider(pin: "8642")
            let factory = TPMKeyFactory(newKeysRequirePIN: withPIN, pinProvider: pins.provider)
            let profile = try DeviceProfile(
                name: "tpm-push", apiURL: server.apiURL, tenantID: server.tenantID, deviceName: "TPM test machine",
                keyStore: .memory, keyKind: .tpm)
            let keyStore = InMemoryKeyStore()
            let client = try DeviceCredentialClient(profile: profile, keyStore: keyStore, keyFactory: factory)

            // Enroll: a user without an authenticator is allowed, and the token registers this TPM key.
            let enrollment = try await backend.track(userID: userID, action: "enroll")
            let credential = try await client.addCredential(token: enrollment.token)
            #expect(credential.userId == userID)
            let stored = try #require(try keyStore.loadKey(profile: "tpm-push"))
            #expect(stored.kind == .tpm)
            #expect(try client.localPublicKey() == factory.loadKey(from: stored).publicKey)

            // Sign-in: the backend asks for a challenge, the browser starts the push...
            let signIn = try await backend.track(userID: userID, action: "signIn")
            #expect(signIn.state == "CHALLENGE_REQUIRED")
            let challengeID = try await backend.startPush(token: signIn.token, action: "signIn").challengeID
            let pending = try await backend.poll(token: signIn.token, challengeID: challengeID)
            #expect(pending.isVerified == false)

            // ...the device sees it (signed nonce flow) and approves it with a TPM signature...
            let challenge = try #require(try await client.getChallenge())
            #expect(challenge.challengeId == challengeID)
            #expect(challenge.userId == userID)
            #expect(try await client.updateChallenge(challengeId: challengeID, approved: true))

            // ...and the browser's token validates as a succeeded challenge.
            let verified = try await backend.poll(token: signIn.token, challengeID: challengeID)
            #expect(verified.isVerified == true)
            let accessToken = try #require(verified.accessToken)
            let validation = try await backend.validate(token: accessToken)
            #expect(validation["state"] as? String == "CHALLENGE_SUCCEEDED")
            #expect(validation["isValid"] as? Bool == true)
            #expect(validation["userId"] as? String == userID)

            // Only signing asked for the PIN (the nonce and the approval), never loading or showing the key.
            let expectedRequests: [TPMPINRequest.Purpose] = withPIN ? [.newKey, .signing, .signing] : []
            #expect(pins.asked.map(\.purpose) == expectedRequests)

            // Removing the credential signs in the TPM too, then deletes the blob.
            _ = try await client.removeCredential()
            #expect(try keyStore.loadKey(profile: "tpm-push") == nil)
        }

        /// How an agent uses a PIN: polling never prompts (the nonce goes unsigned), the approval does.
        @Test func aPINAskedOnlyForTheApprovalStillApproves() async throws {
            try TPMTestEnvironment.requireSimulator()
            let server = try TestServices.server()
            let backend = server
            let userID = "tpm-user-" + UUID().uuidString.prefix(8).lowercased()
            let approvable = Locked<String?>(nil)
            let asked = Locked<[String]>([])
            let factory = TPMKeyFactory(newKeysRequirePIN: true) { request in
                guard let message = request.message.map({ String(decoding: $0, as: UTF8.self) }) else { return "8642" }
                asked.withLock { $0.append(message) }
                return approvable.withLock { $0 } == message ? "8642" : nil
            }
            let profile = try DeviceProfile(
                name: "tpm-agent", apiURL: server.apiURL, tenantID: server.tenantID, keyStore: .memory, keyKind: .tpm)
            let client = try DeviceCredentialClient(profile: profile, keyStore: InMemoryKeyStore(), keyFactory: factory)
            _ = try await client.addCredential(token: try await backend.track(userID: userID, action: "enroll").token)

            let signIn = try await backend.track(userID: userID, action: "signIn")
            let challengeID = try await backend.startPush(token: signIn.token, action: "signIn").challengeID
            let challenge = try #require(try await client.getChallenge())
            #expect(challenge.challengeId == challengeID)
            #expect(asked.withLock { $0.count } == 1)  // the nonce: declined, so the unsigned request was used

            approvable.withLock { $0 = challengeID }
            #expect(try await client.updateChallenge(challengeId: challengeID, approved: true))
            #expect(asked.withLock { $0.last } == challengeID)
            let verified = try await backend.poll(token: signIn.token, challengeID: challengeID)
            let accessToken = try #require(verified.accessToken)
            #expect(try await backend.validate(token: accessToken)["state"] as? String == "CHALLENGE_SUCCEEDED")
        }

        /// A new user enrolled with a TPM key protected by `pin`, its blob in a memory store.
        static func enrollKeyWithPIN(_ pin: String, profile name: String) async throws -> (
            backend: ServerAPI, userID: String, profile: DeviceProfile, keyStore: InMemoryKeyStore
        ) {
            try TPMTestEnvironment.requireSimulator()
            let server = try TestServices.server()
            let backend = server
            let userID = "tpm-user-" + UUID().uuidString.prefix(8).lowercased()
            let profile = try DeviceProfile(
                name: name, apiURL: server.apiURL, tenantID: server.tenantID, keyStore: .memory, keyKind: .tpm)
            let keyStore = InMemoryKeyStore()
            let enrolling = try DeviceCredentialClient(
                profile: profile, keyStore: keyStore,
                keyFactory: TPMKeyFactory(newKeysRequirePIN: true, pinProvider: RecordingPINProvider(pin: pin).provider)
            )
            _ = try await enrolling.addCredential(
                token: try await backend.track(userID: userID, action: "enroll").token)
            return (backend, userID, profile, keyStore)
        }

        /// The CLI's and agent's way: ask first, then sign inside a ``ScopedPIN`` scope.
        @Test func aScopedPINSignsOnlyInsideItsScope() async throws {
            let (backend, userID, profile, keyStore) = try await Self.enrollKeyWithPIN("8642", profile: "tpm-scoped")
            let client = try DeviceCredentialClient(
                profile: profile, keyStore: keyStore, keyFactory: TPMKeyFactory(pinProvider: ScopedPIN.provider))
            #expect(try client.localKeyRequiresPIN())

            let signIn = try await backend.track(userID: userID, action: "signIn")
            let challengeID = try await backend.startPush(token: signIn.token, action: "signIn").challengeID
            // Outside a scope: polling still works (unsigned), approving needs the PIN.
            #expect(try await client.getChallenge()?.challengeId == challengeID)
            await #expect(throws: DeviceCredentialError(code: .tpmPINRequired, message: "")) {
                try await client.updateChallenge(challengeId: challengeID, approved: true)
            }
            let approved = try await ScopedPIN.$pin.withValue("8642") {
                try await client.updateChallenge(challengeId: challengeID, approved: true)
            }
            #expect(approved)
            let verified = try await backend.poll(token: signIn.token, challengeID: challengeID)
            #expect(verified.isVerified == true)
        }

        @Test func aKeyWithoutAPINSaysSo() async throws {
            try TPMTestEnvironment.requireSimulator()
            let profile = try DeviceProfile(
                name: "tpm-no-pin", apiURL: "http://127.0.0.1:9/v1", tenantID: "t", keyStore: .memory, keyKind: .tpm)
            let keyStore = InMemoryKeyStore()
            let key = try TPMKeyFactory().generateTPMKey()
            try keyStore.storeKey(try key.keyMaterial(), for: profile.keyStoreItem)
            let client = try DeviceCredentialClient(profile: profile, keyStore: keyStore, keyFactory: TPMKeyFactory())
            #expect(try client.localKeyRequiresPIN() == false)
        }

        @Test func aWrongPINNeverApprovesAndKeepsTheChallengePending() async throws {
            let (backend, userID, profile, keyStore) = try await Self.enrollKeyWithPIN(
                "8642", profile: "tpm-wrong-pin")

            let signIn = try await backend.track(userID: userID, action: "signIn")
            let challengeID = try await backend.startPush(token: signIn.token, action: "signIn").challengeID
            let mistyped = try DeviceCredentialClient(
                profile: profile, keyStore: keyStore,
                keyFactory: TPMKeyFactory(pinProvider: RecordingPINProvider(pin: "1111").provider))
            defer { try? TPMTestEnvironment.clearDictionaryAttackLockout() }
            await #expect(throws: DeviceCredentialError(code: .tpmAuthFailed, message: "")) {
                try await mistyped.updateChallenge(challengeId: challengeID, approved: true)
            }
            let stillPending = try await backend.poll(token: signIn.token, challengeID: challengeID)
            #expect(stillPending.isVerified == false)
            #expect(stillPending.isConsumed == false)
            // The key survived the failed approval.
            #expect(try keyStore.loadKey(profile: "tpm-wrong-pin") != nil)
        }
    }
}
