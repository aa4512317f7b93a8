import DeviceCredentialLocking

/// Keeps each profile's key in the desktop keyring through the freedesktop Secret Service
/// (gnome-keyring, KWallet, KeePassXC), using libsecret. The default store.
///
/// Items use the schema ``schemaName`` with the attributes `profile`, `tenant`, `api-url`, `namespace`
/// and `key-kind`, and a label such as "DeviceCredential key for default (tenant-id)". The secret is
/// the key's PEM text. The keyring is never unlocked implicitly (no prompt): a locked keyring
/// throws `keyring_locked`. A bus without a Secret Service throws `keyring_unavailable`; no session
/// bus at all throws `dbus_unavailable`.
public final class SecretServiceKeyStore: KeyStore {
    /// The D-Bus schema name of the key items.
    public static let schemaName = "io.github.devicecredential.Key"
    private let connection = Locked<SecretServiceConnection?>(nil)

    /// Creates a store for the session bus of this process's environment (`DBUS_SESSION_BUS_ADDRESS`, else
    /// `$XDG_RUNTIME_DIR/bus`; never an autolaunched one); nothing is opened until the first call.
    public init() {}

    public var kind: KeyStoreKind { .secretService }

    public func storeKey(_ material: KeyMaterial, for item: KeyStoreItem) throws {
        try DeviceProfile.validate(keyName: item.profile)
        try withConnection { try $0.store(material, item: item) }
    }

    public func loadKey(profile: String) throws -> KeyMaterial? {
        try withConnection { try $0.load(profile: profile) }
    }

    @discardableResult
    public func deleteKey(profile: String) throws -> Bool {
        try withConnection { try $0.delete(profile: profile) }
    }

    /// Opens the connection on first use, and again after a failure other than a locked keyring: the
    /// Secret Service or the bus may have restarted since, and a proxy of the old one never recovers.
    private func withConnection<Result>(_ body: (SecretServiceConnection) throws -> Result) throws -> Result {
        try connection.withLock { cached in
            let open = try cached ?? SecretServiceConnection()
            cached = open
            do {
                return try open.perform(body)
            } catch let error as DeviceCredentialError where error.code == .keyringLocked {
                throw error
            } catch {
                cached = nil
                throw error
            }
        }
    }
}
