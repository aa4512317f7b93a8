import DeviceCredentialTestSupport
import Foundation
import Testing

@testable import DeviceCredential

extension TPMTests {
    /// The key-store contract with TPM key material: every store keeps the TSS2 blob as it is, its
    /// kind survives, and the key it gives back signs in the TPM as the key that was stored.
    @Suite struct KeyStoreContract {
        enum Store: String, CaseIterable, Sendable { case memory, file }

        /// A store of `kind`, empty, and a clean-up for it.
        private func makeStore(_ kind: Store) throws -> (store: any KeyStore, cleanUp: () -> Void) {
            switch kind {
            case .memory:
                return (InMemoryKeyStore(), {})
            case .file:
                let directory = try TPMTestEnvironment.temporaryDirectory()
                return (
                    FileKeyStore(directory: directory.path + "/keys"),
                    { try? FileManager.default.removeItem(at: directory) }
                )
            }
        }

        @Test(arguments: Store.allCases)
        func storedTPMKeyLoadsAndSignsAsTheSameKey(store kind: Store) throws {
            try TPMTestEnvironment.requireSimulator()
            let (store, cleanUp) = try makeStore(kind)
            defer { cleanUp() }
            try TPMKeyStoreContract.storedKeyLoadsAndSignsAsTheSameKey(in: store)
        }

        @Test(arguments: Store.allCases)
        func replacingAndDeletingATPMKey(store kind: Store) throws {
            try TPMTestEnvironment.requireSimulator()
            let (store, cleanUp) = try makeStore(kind)
            defer { cleanUp() }
            try TPMKeyStoreContract.replacingAndDeletingAKey(in: store)
        }

        /// The same contract against a real gnome-keyring. It gets its own D-Bus session and keyring in a
        /// child process (GIO reaches one session bus per process): other suites lock the shared test
        /// keyring to test `keyring_locked`, which must not fail this one.
        @Test func secretServiceKeepsTPMKeys() async throws {
            try TPMTestEnvironment.requireSimulator()
            let keyring = try await PrivateSessionBus(keyringPassword: "devicecred-tpm-keyring")
            defer { keyring.stop() }
            let address = keyring.address
            await #expect(processExitsWith: .success) { [address = address as String] in
                setenv("DBUS_SESSION_BUS_ADDRESS", address, 1)
                try TPMKeyStoreContract.storedKeyLoadsAndSignsAsTheSameKey(in: SecretServiceKeyStore())
                try TPMKeyStoreContract.replacingAndDeletingAKey(in: SecretServiceKeyStore())
            }
        }

        @Test func tpmAndSoftwareKeysOfDifferentProfilesLiveSideBySide() throws {
            try TPMTestEnvironment.requireSimulator()
            let (store, cleanUp) = try makeStore(.file)
            defer { cleanUp() }
            let tpmKey = try TPMKeyFactory().generateKey()
            let softwareKey = try SoftwareSigningKey()
            try store.storeKey(try tpmKey.keyMaterial(), for: TPMKeyStoreContract.item("hardware"))
            try store.storeKey(try softwareKey.keyMaterial(), for: TPMKeyStoreContract.item("software"))

            let tpmMaterial = try #require(try store.loadKey(profile: "hardware"))
            let softwareMaterial = try #require(try store.loadKey(profile: "software"))
            #expect(tpmMaterial.kind == .tpm)
            #expect(softwareMaterial.kind == .software)
            #expect(try TPMKeyFactory().loadKey(from: tpmMaterial).publicKey == tpmKey.publicKey)
            #expect(try SoftwareKeyFactory().loadKey(from: softwareMaterial).publicKey == softwareKey.publicKey)
        }

        @Test func fileStoreWritesAPEMTheTPMToolsRead() throws {
            try TPMTestEnvironment.requireSimulator()
            let directory = try TPMTestEnvironment.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let store = FileKeyStore(directory: directory.path)
            let key = try TPMKeyFactory().generateKey()
            try store.storeKey(try key.keyMaterial(), for: TPMKeyStoreContract.item("laptop"))

            let path = try store.path(profile: "laptop")
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.hasPrefix("-----BEGIN TSS2 PRIVATE KEY-----\n"))
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)

            // openssl with the tpm2 provider reads the stored file as the same key.
            let publicKey = try TPMTestEnvironment.run(
                "openssl", ["pkey", "-provider", "tpm2", "-provider", "base", "-in", path, "-pubout"])
            try #require(publicKey.status == 0, "openssl pkey: \(publicKey.standardError)")
            #expect(TPMTestEnvironment.der(fromPEM: publicKey.standardOutput) == key.publicKey.derRepresentation)
        }
    }
}

/// The contract's checks, run against each store.
enum TPMKeyStoreContract {
    static func item(_ profile: String) -> KeyStoreItem {
        KeyStoreItem(profile: profile, tenantID: "tpm-tenant", apiURL: "http://127.0.0.1:1/v1", namespace: .push)
    }

    static func uniqueProfile() -> String { "tpm-" + UUID().uuidString.prefix(8).lowercased() }

    static func storedKeyLoadsAndSignsAsTheSameKey(in store: any KeyStore) throws {
        let profile = uniqueProfile()
        defer { _ = try? store.deleteKey(profile: profile) }
        let factory = TPMKeyFactory()
        let key = try factory.generateTPMKey()
        let material = try key.keyMaterial()

        #expect(try store.loadKey(profile: profile) == nil)
        try store.storeKey(material, for: item(profile))
        let loaded = try #require(try store.loadKey(profile: profile))
        #expect(loaded.kind == .tpm)
        #expect(loaded.withUnsafeDERBytes { Array($0) } == material.withUnsafeDERBytes { Array($0) })

        let reloaded = try factory.loadKey(from: loaded)
        #expect(reloaded.publicKey == key.publicKey)
        let signature = try reloaded.signature(for: "stored")
        #expect(key.publicKey.isValidSignature(signature, for: "stored"))
    }

    static func replacingAndDeletingAKey(in store: any KeyStore) throws {
        let profile = uniqueProfile()
        defer { _ = try? store.deleteKey(profile: profile) }
        let first = try TPMKeyFactory().generateKey()
        let second = try TPMKeyFactory(
            newKeysRequirePIN: true, pinProvider: RecordingPINProvider(pin: "2468").provider
        ).generateTPMKey()

        try store.storeKey(try first.keyMaterial(), for: item(profile))
        try store.storeKey(try second.keyMaterial(), for: item(profile))
        let loaded = try TPMKeyFactory().loadTPMKey(from: try #require(try store.loadKey(profile: profile)))
        #expect(loaded.publicKey == second.publicKey)
        #expect(loaded.requiresPIN)

        #expect(try store.deleteKey(profile: profile))
        #expect(try store.loadKey(profile: profile) == nil)
        #expect(try !store.deleteKey(profile: profile))
    }
}
