/// Where a profile's private key lives.
///
/// One key per key name: a profile's own namespace keeps its key under the profile name, its other
/// namespaces under `<profile>@<namespace>` (see `DeviceProfile.validate(keyName:)`). Every store passes the same contract tests: a missing key is `nil` (the
/// client turns that into `not_enrolled`), while a store that cannot answer throws its own error
/// (`keyring_locked`, `keyring_unavailable`, `dbus_unavailable`, `insecure_key_file`, `key_store_failure`),
/// so a locked keyring never reads as "not enrolled".
public protocol KeyStore: Sendable {
    /// Which kind of store this is.
    var kind: KeyStoreKind { get }

    /// Stores `material` for `item.profile`, replacing any key that profile had.
    func storeKey(_ material: KeyMaterial, for item: KeyStoreItem) throws

    /// The key stored for `profile`, or nil when there is none.
    func loadKey(profile: String) throws -> KeyMaterial?

    /// Deletes the key stored for `profile`. Returns whether there was one.
    @discardableResult
    func deleteKey(profile: String) throws -> Bool
}

/// Describes the key a store keeps for a profile; the Secret Service store records these as item
/// attributes so a person can tell items apart in Seahorse.
public struct KeyStoreItem: Hashable, Sendable {
    /// The key name (the profile name, or `<profile>@<namespace>` for its other namespaces): the lookup key.
    public var profile: String
    /// The tenant the key is enrolled with.
    public var tenantID: String
    /// The API base URL the key is enrolled with.
    public var apiURL: String
    /// The protocol namespace (`push`, `qr-code`, `in-app` or `device`).
    public var namespace: DeviceNamespace

    /// Creates an item description.
    public init(profile: String, tenantID: String, apiURL: String, namespace: DeviceNamespace) {
        self.profile = profile
        self.tenantID = tenantID
        self.apiURL = apiURL
        self.namespace = namespace
    }

    /// The item label a person sees in a keyring manager.
    public var label: String { "DeviceCredential key for \(profile) (\(tenantID))" }
}

/// The kinds of key store, as recorded in a profile (Codable as its raw string).
public struct KeyStoreKind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The stable name, e.g. `secret-service`.
    public var rawValue: String

    /// Creates a kind from its stable name.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The desktop keyring over D-Bus (gnome-keyring, KWallet, KeePassXC): the default.
    public static let secretService = KeyStoreKind(rawValue: "secret-service")
    /// PKCS#8 files under `$XDG_DATA_HOME/devicecred/keys`, mode 0600: for headless hosts.
    public static let file = KeyStoreKind(rawValue: "file")
    /// Process memory only: for tests and short-lived tools.
    public static let memory = KeyStoreKind(rawValue: "memory")

    public var description: String { rawValue }
}
