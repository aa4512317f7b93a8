internal import CDeviceCredentialSecret

/// Owns a libsecret `SecretService` proxy (with its open session) on GIO's session bus connection.
final class SecretServiceConnection: @unchecked Sendable {
    // GDBus objects are thread-safe; SecretServiceKeyStore also serialises all calls through its mutex.
    private let service: UnsafeMutablePointer<SecretService>
    /// Where this connection's proxies (the service's, and each call's items) deliver and drop their signals.
    private let mainContext: GLibMainContext

    init() throws {
        // Found first by our own rules, so GIO, which looks in the same places, never falls back to
        // autolaunching a dbus-daemon (with DISPLAY set) when there is no bus: that is "no session bus".
        _ = try SessionBusAddress.resolve()
        let mainContext = GLibMainContext()
        self.service = try mainContext.run { try Self.openService() }
        self.mainContext = mainContext
    }

    deinit {
        mainContext.run { dc_g_object_unref(service) }
    }

    /// Runs one call (`store`, `load`, `delete`) under this connection's main context; see ``GLibMainContext``.
    func perform<Result>(_ call: (SecretServiceConnection) throws -> Result) rethrows -> sending Result {
        try mainContext.run { try call(self) }
    }

    private static func openService() throws -> UnsafeMutablePointer<SecretService> {
        var error: UnsafeMutablePointer<GError>?
        // Reach the bus first, so "no session bus" and "no Secret Service on it" stay distinct errors.
        guard let bus = g_bus_get_sync(G_BUS_TYPE_SESSION, nil, &error) else {
            throw GLibError.consume(
                error, context: "cannot connect to the D-Bus session bus", fallback: .dbusUnavailable)
        }
        dc_g_object_unref(UnsafeMutableRawPointer(bus))  // GIO keeps its own reference to the shared bus
        guard
            let service = secret_service_open_sync(
                secret_service_get_type(), nil, SECRET_SERVICE_OPEN_SESSION, nil, &error)
        else {
            throw GLibError.consume(error, context: "cannot open the Secret Service", fallback: .keyringUnavailable)
        }
        return service
    }

    func store(_ material: KeyMaterial, item: KeyStoreItem) throws {
        let attributes: [(String, String)] = [
            ("profile", item.profile), ("tenant", item.tenantID), ("api-url", item.apiURL),
            ("namespace", item.namespace.rawValue), ("key-kind", material.kind.rawValue),
        ]
        try requireUnlockedDefaultCollection()
        let previous = try search(profile: item.profile)
        try Self.throwIfLocked(previous.items)
        try material.pemText().withUnsafeBytes { pem in
            var error: UnsafeMutablePointer<GError>?
            let value = secret_value_new(pem.baseAddress?.assumingMemoryBound(to: CChar.self), pem.count, "text/plain")
            defer { secret_value_unref(UnsafeMutableRawPointer(value)) }
            let table = Self.table(attributes)
            defer { g_hash_table_unref(table) }
            guard
                secret_service_store_sync(service, dc_key_schema(), table, "default", item.label, value, nil, &error)
                    != 0
            else { throw GLibError.consume(error, context: "cannot store the key") }
        }
        // Items of this profile with other attributes (e.g. another tenant) are replaced, not kept beside it.
        for oldItem in previous.items where !Self.hasAttributes(oldItem, attributes) {
            try deleteItem(oldItem)
        }
    }

    func load(profile: String) throws -> KeyMaterial? {
        let found = try search(profile: profile)
        guard let item = found.items.first else {
            // A Secret Service may hide a locked collection's items altogether: then nothing can be told.
            if try defaultCollectionIsLocked() == true {
                throw DeviceCredentialError(
                    code: .keyringLocked,
                    message: "the keyring is locked, so whether it holds the key cannot be told; unlock it and retry")
            }
            return nil
        }
        try Self.throwIfLocked(found.items)
        var error: UnsafeMutablePointer<GError>?
        guard secret_item_load_secret_sync(item, nil, &error) != 0 else {
            throw GLibError.consume(error, context: "cannot read the key from the keyring")
        }
        guard let value = secret_item_get_secret(item) else {
            throw DeviceCredentialError(code: .keyringLocked, message: "the keyring did not release the key")
        }
        defer { secret_value_unref(UnsafeMutableRawPointer(value)) }
        var length = 0
        guard let bytes = secret_value_get(value, &length) else {
            throw DeviceCredentialError(code: .invalidKey, message: "the keyring item holds no key")
        }
        return try KeyMaterial(pemText: UnsafeRawBufferPointer(start: bytes, count: length))
    }

    func delete(profile: String) throws -> Bool {
        let found = try search(profile: profile)
        try Self.throwIfLocked(found.items)
        for item in found.items { try deleteItem(item) }
        return !found.items.isEmpty
    }

    // MARK: Helpers

    /// The key items for `profile`, locked or not; nothing is unlocked (that could prompt).
    ///
    /// Searched by the `profile` attribute alone, not by schema: gnome-keyring shows the items of a
    /// keyring loaded locked from disk with its generic schema name until it is unlocked, so a search
    /// by schema finds nothing there and a locked keyring would read as "not enrolled". Unlocked items
    /// of other schemas (another application's `profile` attribute) are left out.
    private func search(profile: String) throws -> FoundItems {
        let table = Self.table([("profile", profile)])
        defer { g_hash_table_unref(table) }
        var error: UnsafeMutablePointer<GError>?
        let found = secret_service_search_sync(service, nil, table, SECRET_SEARCH_ALL, nil, &error)
        if let error {
            dc_g_list_free_objects(found)
            throw GLibError.consume(error, context: "cannot search the keyring")
        }
        return FoundItems(found)
    }

    private static func throwIfLocked(_ items: [UnsafeMutablePointer<SecretItem>]) throws {
        if items.contains(where: { secret_item_get_locked($0) != 0 }) {
            throw DeviceCredentialError(code: .keyringLocked, message: "the keyring is locked; unlock it and retry")
        }
    }

    /// Storing into a locked collection would ask libsecret to unlock it, which prompts; refuse instead.
    private func requireUnlockedDefaultCollection() throws {
        switch try defaultCollectionIsLocked() {
        case nil:
            throw DeviceCredentialError(
                code: .keyringUnavailable, message: "the Secret Service has no default keyring to store keys in")
        case true?:
            throw DeviceCredentialError(code: .keyringLocked, message: "the keyring is locked; unlock it and retry")
        case false?:
            break
        }
    }

    /// Whether the default collection is locked; nil when there is none.
    private func defaultCollectionIsLocked() throws -> Bool? {
        var error: UnsafeMutablePointer<GError>?
        guard let collection = secret_collection_for_alias_sync(service, "default", SECRET_COLLECTION_NONE, nil, &error)
        else {
            if let error { throw GLibError.consume(error, context: "cannot find the default keyring") }
            return nil
        }
        defer { dc_g_object_unref(collection) }
        return secret_collection_get_locked(collection) != 0
    }

    private func deleteItem(_ item: UnsafeMutablePointer<SecretItem>) throws {
        var error: UnsafeMutablePointer<GError>?
        guard secret_item_delete_sync(item, nil, &error) != 0 else {
            throw GLibError.consume(error, context: "cannot delete the key from the keyring")
        }
    }

    private static func hasAttributes(_ item: UnsafeMutablePointer<SecretItem>, _ expected: [(String, String)]) -> Bool
    {
        guard let table = secret_item_get_attributes(item) else { return false }
        defer { g_hash_table_unref(table) }
        return expected.allSatisfy { name, value in
            guard let found = g_hash_table_lookup(table, name) else { return false }
            return String(cString: found.assumingMemoryBound(to: CChar.self)) == value
        }
    }

    private static func table(_ attributes: [(String, String)]) -> OpaquePointer {
        let table = dc_string_table_new()!
        for (name, value) in attributes { dc_string_table_insert(table, name, value) }
        return table
    }
}

/// Owns the list a search returns; `items` are the key items in it.
private final class FoundItems {
    private let list: UnsafeMutablePointer<GList>?
    let items: [UnsafeMutablePointer<SecretItem>]

    init(_ list: UnsafeMutablePointer<GList>?) {
        self.list = list
        var items: [UnsafeMutablePointer<SecretItem>] = []
        var node = list
        while let current = node {
            if let data = current.pointee.data {
                let item = data.assumingMemoryBound(to: SecretItem.self)
                if Self.isKeyItem(item) { items.append(item) }
            }
            node = current.pointee.next
        }
        self.items = items
    }

    deinit { dc_g_list_free_objects(list) }

    /// A locked item may be ours whatever schema it shows; an unlocked one is ours only with our schema.
    private static func isKeyItem(_ item: UnsafeMutablePointer<SecretItem>) -> Bool {
        guard secret_item_get_locked(item) == 0 else { return true }
        guard let name = secret_item_get_schema_name(item) else { return false }
        defer { g_free(name) }
        return String(cString: name) == SecretServiceKeyStore.schemaName
    }
}
