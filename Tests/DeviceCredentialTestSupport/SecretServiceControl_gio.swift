internal import CDeviceCredentialGio
import Foundation

/// Locks and unlocks gnome-keyring's default collection over D-Bus, as a person would in Seahorse.
/// Unlocking uses gnome-keyring's prompt-free UnlockWithMasterPassword (no display needed), whose plain
/// session must live on the same connection as the unlock call: hence one connection per control.
public struct SecretServiceControl: Sendable {
    /// The bus the Secret Service is on.
    public var busAddress: String

    public init(busAddress: String) { self.busAddress = busAddress }

    /// The test process's session bus (DBUS_SESSION_BUS_ADDRESS).
    public static func sessionBus() throws -> SecretServiceControl {
        SecretServiceControl(busAddress: try TestServices.variable("DBUS_SESSION_BUS_ADDRESS"))
    }

    public func lockDefaultCollection() throws {
        try withConnection { bus in
            let collection = try defaultCollectionPath(bus)
            _ = try call(
                bus, "/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "Lock",
                "([objectpath '\(collection)'],)")
        }
    }

    public func unlockDefaultCollection(password: String) throws {
        try withConnection { bus in
            let collection = try defaultCollectionPath(bus)
            let session = try call(
                bus, "/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "OpenSession", "('plain', <''>)")
            guard let sessionPath = objectPaths(in: session).last else {
                throw TestSupportError("OpenSession gave no session: \(session)")
            }
            let bytes = password.utf8.map { String($0) }.joined(separator: ", ")
            _ = try call(
                bus, "/org/freedesktop/secrets", "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
                "UnlockWithMasterPassword",
                "(objectpath '\(collection)', (objectpath '\(sessionPath)', @ay [], @ay [\(bytes)], 'text/plain'))")
            _ = try call(bus, sessionPath, "org.freedesktop.Secret.Session", "Close", "()")
        }
    }

    /// A private connection to the bus (not GIO's per-process session bus), closed after `body`.
    private func withConnection<Result>(_ body: (OpaquePointer) throws -> Result) throws -> Result {
        var error: UnsafeMutablePointer<GError>?
        let flags = GDBusConnectionFlags(
            rawValue: G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT.rawValue
                | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION.rawValue)
        guard let bus = g_dbus_connection_new_for_address_sync(busAddress, flags, nil, nil, &error) else {
            throw TestSupportError("cannot connect to \(busAddress): \(message(of: error))")
        }
        defer {
            g_dbus_connection_close_sync(bus, nil, nil)
            g_object_unref(UnsafeMutableRawPointer(bus))
        }
        return try body(bus)
    }

    private func defaultCollectionPath(_ bus: OpaquePointer) throws -> String {
        let reply = try call(
            bus, "/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "ReadAlias", "('default',)")
        guard let path = objectPaths(in: reply).first, path != "/" else {
            throw TestSupportError("the keyring has no default collection: \(reply)")
        }
        return path
    }

    /// Calls a Secret Service method with arguments in GVariant text form; returns the reply in text form.
    private func call(_ bus: OpaquePointer, _ path: String, _ interface: String, _ method: String, _ arguments: String)
        throws -> String
    {
        var error: UnsafeMutablePointer<GError>?
        guard let parameters = g_variant_parse(nil, arguments, nil, nil, &error) else {
            throw TestSupportError("\(method): \(message(of: error))")
        }
        defer { g_variant_unref(parameters) }
        guard
            let reply = g_dbus_connection_call_sync(
                bus, "org.freedesktop.secrets", path, interface, method, parameters, nil, G_DBUS_CALL_FLAGS_NONE,
                5000, nil, &error)
        else { throw TestSupportError("\(method): \(message(of: error))") }
        defer { g_variant_unref(reply) }
        let text = g_variant_print(reply, 1)!
        defer { g_free(text) }
        return String(cString: text)
    }

    /// The quoted object paths in a printed GVariant, in order.
    private func objectPaths(in text: String) -> [String] {
        text.split(separator: "'", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset % 2 == 1 && $0.element.hasPrefix("/") }.map { String($0.element) }
    }

    private func message(of error: UnsafeMutablePointer<GError>?) -> String {
        guard let error else { return "unknown D-Bus failure" }
        defer { g_error_free(error) }
        return String(cString: error.pointee.message)
    }
}
