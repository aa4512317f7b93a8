internal import CDeviceCredentialSecret
import Testing

/// Locks and unlocks the test session's default keyring over D-Bus, as a person would in Seahorse.
/// Unlocking uses gnome-keyring's prompt-free UnlockWithMasterPassword, so no display is needed.
enum GnomeKeyringControl {
    static func lockDefaultCollection() throws {
        let collection = try defaultCollectionPath()
        _ = try call(
            "/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "Lock", "([objectpath '\(collection)'],)")
    }

    static func unlockDefaultCollection(password: String) throws {
        let collection = try defaultCollectionPath()
        let session = try call(
            "/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "OpenSession", "('plain', <''>)")
        let sessionPath = try #require(objectPaths(in: session).last)
        let bytes = password.utf8.map { String($0) }.joined(separator: ", ")
        _ = try call(
            "/org/freedesktop/secrets", "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
            "UnlockWithMasterPassword",
            "(objectpath '\(collection)', (objectpath '\(sessionPath)', @ay [], @ay [\(bytes)], 'text/plain'))")
        _ = try call(sessionPath, "org.freedesktop.Secret.Session", "Close", "()")
    }

    private static func defaultCollectionPath() throws -> String {
        let reply = try call("/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "ReadAlias", "('default',)")
        let path = try #require(objectPaths(in: reply).first)
        try #require(path != "/", "the test keyring has no default collection")
        return path
    }

    /// Calls a method with arguments in GVariant text form; returns the reply in text form.
    private static func call(_ path: String, _ interface: String, _ method: String, _ arguments: String) throws
        -> String
    {
        var error: UnsafeMutablePointer<GError>?
        guard let bus = g_bus_get_sync(G_BUS_TYPE_SESSION, nil, &error) else {
            throw KeyringControlError(message: message(of: error))
        }
        defer { g_object_unref(UnsafeMutableRawPointer(bus)) }
        guard let parameters = g_variant_parse(nil, arguments, nil, nil, &error) else {
            throw KeyringControlError(message: message(of: error))
        }
        defer { g_variant_unref(parameters) }
        guard
            let reply = g_dbus_connection_call_sync(
                bus, "org.freedesktop.secrets", path, interface, method, parameters, nil, G_DBUS_CALL_FLAGS_NONE,
                5000, nil, &error)
        else { throw KeyringControlError(message: message(of: error)) }
        defer { g_variant_unref(reply) }
        let text = g_variant_print(reply, 1)!
        defer { g_free(text) }
        return String(cString: text)
    }

    /// The quoted object paths in a printed GVariant, in order.
    private static func objectPaths(in text: String) -> [String] {
        text.split(separator: "'", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset % 2 == 1 && $0.element.hasPrefix("/") }.map { String($0.element) }
    }

    private static func message(of error: UnsafeMutablePointer<GError>?) -> String {
        guard let error else { return "unknown D-Bus failure" }
        defer { g_error_free(error) }
        return String(cString: error.pointee.message)
    }
}

struct KeyringControlError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
