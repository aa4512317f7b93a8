internal import CDeviceCredentialGio
import DeviceCredential

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A private connection to the session bus for doctor's questions: who owns a name, what the
/// notification server can do, whether the default keyring is locked. Nothing is unlocked or shown,
/// and nothing is started except what D-Bus activation starts for any client asking the same.
final class SessionBusProbe {
    /// A failed D-Bus call: its D-Bus error name (when it has one) and GLib's message.
    struct CallError: Error {
        var remoteName: String?
        var message: String
    }

    private let connection: OpaquePointer

    /// Connects to `address` (from ``SessionBusAddress``, never an autolaunched bus).
    init(address: String) throws(CallError) {
        var error: UnsafeMutablePointer<GError>?
        let flags = GDBusConnectionFlags(
            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT.rawValue
                | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION.rawValue)
        guard let connection = g_dbus_connection_new_for_address_sync(address, flags, nil, nil, &error) else {
            throw Self.consume(error)
        }
        self.connection = connection
    }

    deinit {
        g_dbus_connection_close_sync(connection, nil, nil)
        g_object_unref(UnsafeMutableRawPointer(connection))
    }

    /// Whether a process owns `name` on the bus now.
    func hasOwner(_ name: String) -> Bool {
        (try? bus("NameHasOwner", name) { g_variant_get_boolean($0) != 0 }) ?? false
    }

    /// The program name (`/proc/PID/comm`) of the process that owns `name`, when the bus tells.
    func ownerProgram(_ name: String) -> String? {
        guard let pid = try? bus("GetConnectionUnixProcessID", name, read: { g_variant_get_uint32($0) }) else {
            return nil
        }
        return Self.programName(pid: pid)
    }

    /// The notification server's `GetCapabilities`.
    func notificationCapabilities() throws(CallError) -> [String] {
        let reply = try call(
            "org.freedesktop.Notifications", "/org/freedesktop/Notifications", "org.freedesktop.Notifications",
            "GetCapabilities", nil)
        defer { g_variant_unref(reply) }
        let list = g_variant_get_child_value(reply, 0)
        defer { g_variant_unref(list) }
        return (0..<g_variant_n_children(list)).map { index in
            let item = g_variant_get_child_value(list, index)
            defer { g_variant_unref(item) }
            return String(cString: g_variant_get_string(item, nil))
        }
    }

    /// The notification server's name and version (`GetServerInformation`).
    func notificationServerName() throws(CallError) -> String {
        let reply = try call(
            "org.freedesktop.Notifications", "/org/freedesktop/Notifications", "org.freedesktop.Notifications",
            "GetServerInformation", nil)
        defer { g_variant_unref(reply) }
        let fields = (0..<2).map { index in
            let item = g_variant_get_child_value(reply, gsize(index))
            defer { g_variant_unref(item) }
            return String(cString: g_variant_get_string(item, nil))
        }
        return fields.joined(separator: " ")
    }

    /// Whether the Secret Service's default collection is locked; nil when it has no default collection.
    /// Asking may D-Bus-activate the Secret Service, as the key store's own first call would.
    func defaultCollectionIsLocked() throws(CallError) -> Bool? {
        let service = "org.freedesktop.secrets"
        let alias = try call(
            service, "/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "ReadAlias",
            g_variant_new_tuple([g_variant_new_string("default")], 1))
        defer { g_variant_unref(alias) }
        let pathValue = g_variant_get_child_value(alias, 0)
        defer { g_variant_unref(pathValue) }
        let path = String(cString: g_variant_get_string(pathValue, nil))
        guard path != "/" else { return nil }
        let arguments = [
            g_variant_new_string("org.freedesktop.Secret.Collection"), g_variant_new_string("Locked"),
        ]
        let reply = try call(
            service, path, "org.freedesktop.DBus.Properties", "Get",
            arguments.withUnsafeBufferPointer { g_variant_new_tuple($0.baseAddress, 2) })
        defer { g_variant_unref(reply) }
        let boxed = g_variant_get_child_value(reply, 0)
        defer { g_variant_unref(boxed) }
        let locked = g_variant_get_variant(boxed)
        defer { g_variant_unref(locked) }
        return g_variant_get_boolean(locked) != 0
    }

    /// A call to the bus itself with one string argument; `read` gets the reply's first value.
    private func bus<Value>(_ method: String, _ argument: String, read: (OpaquePointer) -> Value) throws(CallError)
        -> Value
    {
        let reply = try call(
            "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", method,
            g_variant_new_tuple([g_variant_new_string(argument)], 1))
        defer { g_variant_unref(reply) }
        let value = g_variant_get_child_value(reply, 0)!
        defer { g_variant_unref(value) }
        return read(value)
    }

    /// A synchronous call (5 s at most); `parameters` is a floating tuple or nil. Unref the reply.
    func call(
        _ destination: String, _ path: String, _ interface: String, _ method: String, _ parameters: OpaquePointer?,
        flags: GDBusCallFlags = G_DBUS_CALL_FLAGS_NONE
    ) throws(CallError) -> OpaquePointer {
        var error: UnsafeMutablePointer<GError>?
        guard
            let reply = g_dbus_connection_call_sync(
                connection, destination, path, interface, method, parameters, nil, flags, 5000, nil, &error)
        else { throw Self.consume(error) }
        return reply
    }

    /// The one place this file turns a `GError` into a ``CallError`` and frees it.
    private static func consume(_ error: UnsafeMutablePointer<GError>?) -> CallError {
        guard let error else { return CallError(remoteName: nil, message: "unknown D-Bus error") }
        defer { g_error_free(error) }
        let remote = g_dbus_error_get_remote_error(error)
        defer { g_free(remote) }
        if g_dbus_error_is_remote_error(error) != 0 { g_dbus_error_strip_remote_error(error) }
        return CallError(
            remoteName: remote.map { String(cString: $0) }, message: String(cString: error.pointee.message))
    }

    /// The base name of the program (argv[0]) running as `pid`; `/proc/PID/comm` cuts names at 15 bytes.
    private static func programName(pid: UInt32) -> String? {
        guard let file = fopen("/proc/\(pid)/cmdline", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = fread(&buffer, 1, buffer.count, file)
        let argument0 = String(decoding: buffer.prefix(count).prefix { $0 != 0 }, as: UTF8.self)
        let name = argument0.split(separator: "/").last.map(String.init) ?? ""
        return name.isEmpty ? nil : name
    }
}
