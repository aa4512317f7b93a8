import DeviceCredential
import Foundation
import Testing

extension TestDevice {
    /// Enrolls a new user with a TPM key made in `tpm`, protected by `pin` (none when nil): the key's
    /// blob in this home's file key store, the credential added through the library.
    static func enrollTPM(in home: TestHome, backend: Backend, tpm: PrivateTPM, pin: String?) async throws
        -> TestDevice
    {
        let userID = "agent-user-" + UUID().uuidString.lowercased()
        let (state, token) = try await backend.track(user: userID, action: "enroll")
        guard state == "ALLOW" else { throw TestFailure("enrollment track gave \(state)") }
        let profile = try DeviceProfile(
            name: "tpm-" + UUID().uuidString.prefix(8).lowercased(), apiURL: backend.apiURL,
            tenantID: backend.tenantID, deviceName: "agent TPM test", keyStore: .file, keyKind: .tpm)
        let blobFile = home.root + "/tpm-key.der"
        await tpm.makeKey(pin: pin, into: blobFile)
        let blob = try Data(contentsOf: URL(fileURLWithPath: blobFile))
        try FileManager.default.removeItem(atPath: blobFile)
        try home.fileKeyStore.storeKey(
            KeyMaterial(kind: .tpm, derRepresentation: Array(blob)), for: profile.keyStoreItem)
        // Adding the credential needs the public key only, which is read from the blob: no TPM here.
        let client = try DeviceCredentialClient(
            profile: profile, keyStore: home.fileKeyStore, keyFactory: TPMKeyFactory())
        #expect(try client.localKeyRequiresPIN() == (pin != nil))
        _ = try await client.addCredential(token: token)
        try home.profileStore.save(profile)
        return TestDevice(profile: profile, userID: userID, keyStore: home.fileKeyStore)
    }
}
