import DeviceCredentialTestSupport
import Foundation
import Testing

@testable import DeviceCredential

/// The key-store contract, run against every store, plus each store's own failure modes. Serialized:
/// one test locks the shared test keyring, which must not surprise a concurrent keyring test.
@Suite("Key stores", .serialized)
struct KeyStoreTests {
    enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case memory, file, secretService
        var testDescription: String { rawValue }
    }

    /// A store of `backend`, and a cleanup to run afterwards.
    private func makeStore(_ backend: Backend) throws -> (any KeyStore, () -> Void) {
        switch backend {
        case .memory:
            return (InMemoryKeyStore(), {})
        case .file:
            let directory = try TemporaryDirectory()
            return (FileKeyStore(directory: directory.path + "/keys"), directory.remove)
        case .secretService:
            _ = try TestEnvironment.requireKeyring()
            return (SecretServiceKeyStore(), {})
        }
    }

    private func item(_ profile: String = "p-\(UUID().uuidString.prefix(8))") -> KeyStoreItem {
        KeyStoreItem(
            profile: profile, tenantID: "tenant-\(profile)", apiURL: "https://api.authsignal.com/v1", namespace: .push)
    }

    // MARK: The contract

    @Test("a profile without a key loads as nil", arguments: Backend.allCases)
    func missingKeyIsNil(_ backend: Backend) throws {
        let (store, cleanup) = try makeStore(backend)
        defer { cleanup() }
        #expect(try store.loadKey(profile: item().profile) == nil)
        #expect(try store.deleteKey(profile: item().profile) == false)
    }

    @Test("a stored key loads back as the same key, of the same kind", arguments: Backend.allCases)
    func storeThenLoad(_ backend: Backend) throws {
        let (store, cleanup) = try makeStore(backend)
        defer { cleanup() }
        let item = item()
        let key = try SoftwareSigningKey()
        try store.storeKey(try key.keyMaterial(), for: item)
        defer { _ = try? store.deleteKey(profile: item.profile) }
        let loaded = try #require(try store.loadKey(profile: item.profile))
        #expect(loaded.kind == .software)
        #expect(try SoftwareKeyFactory().loadKey(from: loaded).publicKey == key.publicKey)
    }

    @Test("storing again replaces the profile's key", arguments: Backend.allCases)
    func storeReplaces(_ backend: Backend) throws {
        let (store, cleanup) = try makeStore(backend)
        defer { cleanup() }
        var item = item()
        try store.storeKey(try SoftwareSigningKey().keyMaterial(), for: item)
        defer { _ = try? store.deleteKey(profile: item.profile) }
        item.tenantID = "another-tenant"
        let second = try SoftwareSigningKey()
        try store.storeKey(try second.keyMaterial(), for: item)
        let loaded = try #require(try store.loadKey(profile: item.profile))
        #expect(try SoftwareKeyFactory().loadKey(from: loaded).publicKey == second.publicKey)
        #expect(try store.deleteKey(profile: item.profile) == true)
        #expect(try store.loadKey(profile: item.profile) == nil)
    }

    @Test("delete reports whether there was a key, and profiles are independent", arguments: Backend.allCases)
    func deleteAndIsolation(_ backend: Backend) throws {
        let (store, cleanup) = try makeStore(backend)
        defer { cleanup() }
        let first = item()
        let second = item()
        let firstKey = try SoftwareSigningKey()
        let secondKey = try SoftwareSigningKey()
        try store.storeKey(try firstKey.keyMaterial(), for: first)
        try store.storeKey(try secondKey.keyMaterial(), for: second)
        #expect(try store.deleteKey(profile: first.profile) == true)
        #expect(try store.deleteKey(profile: first.profile) == false)
        #expect(try store.loadKey(profile: first.profile) == nil)
        let remaining = try #require(try store.loadKey(profile: second.profile))
        #expect(try SoftwareKeyFactory().loadKey(from: remaining).publicKey == secondKey.publicKey)
        #expect(try store.deleteKey(profile: second.profile) == true)
    }

    @Test("a profile name that is not a plain name is refused", arguments: Backend.allCases)
    func refusesBadNames(_ backend: Backend) throws {
        let (store, cleanup) = try makeStore(backend)
        defer { cleanup() }
        #expect(throws: DeviceCredentialError(code: .invalidConfiguration, message: "")) {
            try store.storeKey(try SoftwareSigningKey().keyMaterial(), for: item("../escape"))
        }
    }

    @Test("a client over an empty store says not_enrolled before any network call", arguments: Backend.allCases)
    func clientNotEnrolled(_ backend: Backend) async throws {
        let (store, cleanup) = try makeStore(backend)
        defer { cleanup() }
        let fixture = try HTTPFixture(always: .respond(status: 500, headers: [:], body: ""))
        defer { fixture.stop() }
        let profile = try DeviceProfile(
            name: item().profile, apiURL: fixture.baseURL, tenantID: "t", keyStore: store.kind)
        let client = try DeviceCredentialClient(profile: profile, keyStore: store)
        await #expect(throws: DeviceCredentialError(code: .notEnrolled, message: "")) {
            try await client.getChallenge()
        }
        await #expect(throws: DeviceCredentialError(code: .notEnrolled, message: "")) {
            try await client.removeCredential()
        }
        #expect(try client.localPublicKey() == nil)
        #expect(fixture.requests.isEmpty)
    }

    // MARK: File store

    @Test("the file store writes PKCS#8 PEM with mode 0600 in a 0700 directory, readable by openssl")
    func filePermissions() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = FileKeyStore(directory: directory.path + "/data/devicecred/keys")
        let key = try SoftwareSigningKey()
        try store.storeKey(try key.keyMaterial(), for: item("laptop"))
        let path = try store.path(profile: "laptop")
        let fileMode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        let directoryMode = try #require(
            try FileManager.default.attributesOfItem(atPath: store.directory)[.posixPermissions] as? Int)
        #expect(fileMode == 0o600)
        #expect(directoryMode == 0o700)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        let parsed = try await runProgram("/usr/bin/openssl", ["pkey", "-in", path, "-noout"])
        #expect(parsed.status == 0, "\(parsed.output)")
    }

    @Test("the file store refuses a key file that group or others can read, and keeps it")
    func fileRefusesReadableByOthers() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = FileKeyStore(directory: directory.path + "/keys")
        try store.storeKey(try SoftwareSigningKey().keyMaterial(), for: item("shared"))
        let path = try store.path(profile: "shared")
        #expect(chmod(path, 0o644) == 0)
        #expect(throws: DeviceCredentialError(code: .insecureKeyFile, message: "")) {
            try store.loadKey(profile: "shared")
        }
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(chmod(path, 0o600) == 0)
        #expect(try store.loadKey(profile: "shared") != nil)
    }

    @Test("the file store refuses a file that is not a key with invalid_key")
    func fileRefusesGarbage() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = FileKeyStore(directory: directory.path)
        let path = try store.path(profile: "garbage")
        #expect(
            FileManager.default.createFile(
                atPath: path, contents: Data("not a key".utf8), attributes: [.posixPermissions: 0o600]))
        #expect(throws: DeviceCredentialError(code: .invalidKey, message: "")) { try store.loadKey(profile: "garbage") }
    }

    // MARK: Secret Service

    @Test("Secret Service items carry the schema, the attributes and a readable label")
    func secretServiceItemAttributes() async throws {
        _ = try TestEnvironment.requireKeyring()
        let store = SecretServiceKeyStore()
        let item = item()
        try store.storeKey(try SoftwareSigningKey().keyMaterial(), for: item)
        defer { _ = try? store.deleteKey(profile: item.profile) }
        let listed = try await runProgram("/usr/bin/secret-tool", ["search", "--all", "profile", item.profile])
        #expect(listed.status == 0)
        // Only the `name = value` lines, without the secret (a test must not print a key, even a throwaway one).
        let fields = Set(listed.output.split(separator: "\n").filter { $0.contains(" = ") && !$0.hasPrefix("secret") })
        #expect(fields.contains("label = DeviceCredential key for \(item.profile) (tenant-\(item.profile))"))
        #expect(fields.contains("schema = io.github.devicecredential.Key"))
        #expect(fields.contains("attribute.profile = \(item.profile)"))
        #expect(fields.contains("attribute.tenant = tenant-\(item.profile)"))
        #expect(fields.contains("attribute.api-url = https://api.authsignal.com/v1"))
        #expect(fields.contains("attribute.namespace = push"))
        #expect(fields.contains("attribute.key-kind = software"))
    }

    /// Locking a keyring would disturb every test that shares the session's, so this runs in a child
    /// process on a bus of its own with a gnome-keyring of its own (GIO binds one session bus per process).
    @Test("a locked keyring is keyring_locked, never not_enrolled, and the key is there after unlocking")
    func lockedKeyring() async throws {
        guard TestEnvironment.variable("DEVICECRED_TEST_CHILD_OWN_KEYRING") != nil else {
            let bus = try await PrivateSessionBus(keyringPassword: "locked-keyring-test")
            defer { bus.stop() }
            var environment = ProcessInfo.processInfo.environment
            environment["DBUS_SESSION_BUS_ADDRESS"] = bus.address
            environment["DEVICECRED_TEST_KEYRING_PASSWORD"] = "locked-keyring-test"
            environment["DEVICECRED_TEST_CHILD_OWN_KEYRING"] = "1"
            let child = try await runTestInChild("KeyStoreTests/lockedKeyring", environment: environment)
            #expect(child.status == 0, "child: \(child.output)")
            #expect(child.output.contains("1 test in 1 suite passed"), "child: \(child.output)")
            return
        }
        let store = SecretServiceKeyStore()
        let item = item()
        let key = try SoftwareSigningKey()
        try store.storeKey(try key.keyMaterial(), for: item)
        defer { _ = try? store.deleteKey(profile: item.profile) }

        let keyring = try SecretServiceControl.sessionBus()
        try keyring.lockDefaultCollection()
        var unlocked = false
        defer {
            if !unlocked { try? keyring.unlockDefaultCollection(password: TestEnvironment.keyringPassword) }
        }

        let locked = DeviceCredentialError(code: .keyringLocked, message: "")
        #expect(throws: locked) { try store.loadKey(profile: item.profile) }
        #expect(throws: locked) { try store.deleteKey(profile: item.profile) }
        #expect(throws: locked) { try store.storeKey(try SoftwareSigningKey().keyMaterial(), for: item) }
        let profile = try DeviceProfile(name: item.profile, apiURL: "http://127.0.0.1:9/v1", tenantID: "t")
        let client = try DeviceCredentialClient(profile: profile, keyStore: store)
        await #expect(throws: locked) { try await client.getCredential() }
        #expect(throws: locked) { try client.localPublicKey() }

        try keyring.unlockDefaultCollection(password: TestEnvironment.keyringPassword)
        unlocked = true
        let loaded = try #require(try store.loadKey(profile: item.profile))
        #expect(try SoftwareKeyFactory().loadKey(from: loaded).publicKey == key.publicKey)
    }

    /// Runs in a child process on a bare D-Bus daemon (nothing on it, no service activation): GIO
    /// connects to the session bus once per process, so this cannot share the test process's bus.
    @Test("a session bus without a Secret Service is keyring_unavailable")
    func noSecretService() async throws {
        if TestEnvironment.variable("DEVICECRED_TEST_CHILD_BARE_BUS") != nil {
            let store = SecretServiceKeyStore()
            let unavailable = DeviceCredentialError(code: .keyringUnavailable, message: "")
            #expect(throws: unavailable) { try store.loadKey(profile: "default") }
            #expect(throws: unavailable) { try store.storeKey(try SoftwareSigningKey().keyMaterial(), for: item()) }
            #expect(throws: unavailable) { try store.deleteKey(profile: "default") }
            return
        }
        let bus = try await PrivateSessionBus()
        defer { bus.stop() }
        var environment = ProcessInfo.processInfo.environment
        environment["DBUS_SESSION_BUS_ADDRESS"] = bus.address
        environment["DEVICECRED_TEST_CHILD_BARE_BUS"] = "1"
        let child = try await runTestInChild("KeyStoreTests/noSecretService", environment: environment)
        #expect(child.status == 0, "child: \(child.output)")
        #expect(child.output.contains("1 test in 1 suite passed"), "child: \(child.output)")
    }

    /// GIO connects to the session bus once per process, so each case runs in a child process: this
    /// test binary again, filtered to this test, with the marker variable set.
    @Test("no D-Bus session bus at all is dbus_unavailable (no address; an address nobody listens on)")
    func noDBusSession() async throws {
        if TestEnvironment.variable("DEVICECRED_TEST_CHILD_NO_DBUS") != nil {
            let store = SecretServiceKeyStore()
            let unavailable = DeviceCredentialError(code: .dbusUnavailable, message: "")
            #expect(throws: unavailable) { try store.loadKey(profile: "default") }
            #expect(throws: unavailable) { try store.storeKey(try SoftwareSigningKey().keyMaterial(), for: item()) }
            #expect(throws: unavailable) { try store.deleteKey(profile: "default") }
            return
        }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var base = ProcessInfo.processInfo.environment
        for name in ["DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY", "DBUS_STARTER_ADDRESS"] {
            base[name] = nil
        }
        base["XDG_RUNTIME_DIR"] = directory.path  // no `bus` socket there either
        base["DEVICECRED_TEST_CHILD_NO_DBUS"] = "1"
        var deadSocket = base
        deadSocket["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=\(directory.path)/nobody-listens"
        for environment in [base, deadSocket] {
            let child = try await runTestInChild("KeyStoreTests/noDBusSession", environment: environment)
            #expect(child.status == 0, "child: \(child.output)")
            #expect(child.output.contains("1 test in 1 suite passed"), "child: \(child.output)")
        }
    }
}

/// Runs one test of this test binary in a child process with `environment`.
func runTestInChild(_ filter: String, environment: [String: String]) async throws -> (status: Int32, output: String) {
    let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    return try await runProgram(
        testBinary, ["--testing-library", "swift-testing", "--filter", filter], environment: environment)
}
