import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

extension TestDevice {
    /// Enrolls a new user with a TPM key made in `tpm`, protected by `pin` (none when nil): the key's
    /// blob in this home's file key store, the credential added through the library.
    static func enrollTPM(in home: TestHome, backend: ServerAPI, tpm: PrivateTPM, pin: String?) async throws
        -> TestDevice
    {
        let userID = "agent-user-" + UUID().uuidString.lowercased()
        let tracked = try await backend.track(userID: userID, action: "enroll")
        guard tracked.state == "ALLOW" else { throw TestFailure("enrollment track gave \(tracked.state)") }
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
        _ = try await client.addCredential(token: tracked.token)
        try home.profileStore.save(profile)
        return TestDevice(profile: profile, userID: userID, keyStore: home.fileKeyStore)
    }
}

extension PrivateTPM {
    /// A TPM-wrapped P-256 key made in this TPM by the library, with `pin` as its PIN (none when nil),
    /// as the DER of its blob. The library reads `TPM2OPENSSL_TCTI` when it uses the TPM, and the test
    /// process's one points at the shared TPM: the key is made in an exit test's child process, whose
    /// environment can be changed without touching the tests running next to this one.
    func makeKey(pin: String?, into blobFile: String) async {
        let tcti = self.tcti
        await #expect(processExitsWith: .success) {
            [tcti = tcti as String, pin = pin as String?, blobFile = blobFile as String] in
            setenv("TPM2OPENSSL_TCTI", tcti, 1)
            let factory = TPMKeyFactory(newKeysRequirePIN: pin != nil, pinProvider: { _ in pin })
            let material = try factory.generateKey().keyMaterial()
            let der = material.withUnsafeDERBytes { Data($0) }
            try der.write(to: URL(fileURLWithPath: blobFile))
        }
    }

    /// Answers a challenge with `device`'s key in this TPM, as another device would (in an exit test's
    /// child, for the same reason as ``makeKey(pin:into:)``).
    func answer(_ challengeId: String, device: TestDevice, keys: String, pin: String) async {
        let tcti = self.tcti
        let profile = device.profile
        await #expect(processExitsWith: .success) {
            [
                tcti = tcti as String, profile = profile as DeviceProfile, keys = keys as String,
                challengeId = challengeId as String, pin = pin as String
            ] in
            setenv("TPM2OPENSSL_TCTI", tcti, 1)
            let client = try DeviceCredentialClient(
                profile: profile, keyStore: FileKeyStore(directory: keys),
                keyFactory: TPMKeyFactory(pinProvider: { _ in pin }))
            try await client.updateChallenge(challengeId: challengeId, approved: false)
        }
    }
}
