import DeviceCredentialLocking

/// Keeps keys in process memory: for tests, and tools that never keep a key past their run.
public final class InMemoryKeyStore: KeyStore {
    private let keys = Locked<[String: KeyMaterial]>([:])

    /// Creates an empty store.
    public init() {}

    public var kind: KeyStoreKind { .memory }

    public func storeKey(_ material: KeyMaterial, for item: KeyStoreItem) throws {
        try DeviceProfile.validate(keyName: item.profile)  // the same names as every other store
        keys.withLock { $0[item.profile] = material }
    }

    public func loadKey(profile: String) throws -> KeyMaterial? {
        keys.withLock { $0[profile] }
    }

    @discardableResult
    public func deleteKey(profile: String) throws -> Bool {
        keys.withLock { $0.removeValue(forKey: profile) != nil }
    }
}
