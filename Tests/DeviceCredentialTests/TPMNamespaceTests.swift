import DeviceCredentialTestSupport
import Foundation
import Testing

@testable import DeviceCredential

extension TPMTests {
    /// The QR-code and in-app namespaces with TPM keys: each namespace gets a key of its own, made in the
    /// TPM, and the server (swift-crypto) accepts the TPM's signatures on claims and verifications.
    @Suite struct Namespaces {
        @Test func qrCodeAndInAppKeysAreMadeInTheTPM() async throws {
            try TPMTestEnvironment.requireSimulator()
            let server = try TestServices.server()
            let userID = "tpm-ns-" + UUID().uuidString.prefix(8).lowercased()
            let profile = try DeviceProfile(
                name: "tpm-ns", apiURL: server.apiURL, tenantID: server.tenantID, keyStore: .memory, keyKind: .tpm)
            let store = InMemoryKeyStore()
            let client = try DeviceCredentialClient(profile: profile, keyStore: store, keyFactory: TPMKeyFactory())
            let token = {
                try await server.track(userID: userID, action: "enroll", body: ["scope": "add:authenticators"]).token
            }
            _ = try await client.qr.addCredential(token: try await token())
            _ = try await client.inApp.addCredential(token: try await token())
            #expect(try store.loadKey(profile: "tpm-ns@qr-code")?.kind == .tpm)
            #expect(try store.loadKey(profile: "tpm-ns@in-app")?.kind == .tpm)
            #expect(try store.loadKey(profile: "tpm-ns") == nil, "no push key was asked for")

            let code = try await server.createQRCode()
            _ = try await client.qr.claimChallenge(challengeId: code.challengeID)
            #expect(try await client.qr.updateChallenge(challengeId: code.challengeID, approved: true))
            #expect(try await server.poll(code)["isVerified"] as? Bool == true)

            let proof = try await client.inApp.verify(action: "unlock")
            #expect(try await server.validate(token: proof.token)["isValid"] as? Bool == true)
        }
    }
}
