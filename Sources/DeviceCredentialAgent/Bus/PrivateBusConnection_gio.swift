internal import CDeviceCredentialGio
import DeviceCredential

/// A private GDBus connection of the agent's own (the notification prompter, the D-Bus API, logind):
/// never GLib's shared singleton, so closing one closes nothing else, and never autolaunched.
enum PrivateBusConnection {
    /// Connects to the message bus at `address` and says hello; the caller owns the connection (unref
    /// it). Throws `prompt_failed` with `context` and GLib's reason.
    static func open(_ address: String, context: String) throws -> OpaquePointer {
        var error: UnsafeMutablePointer<GError>?
        let flags = GDBusConnectionFlags(
            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT.rawValue
                | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION.rawValue)
        guard let connection = g_dbus_connection_new_for_address_sync(address, flags, nil, nil, &error) else {
            throw GioError.consume(error, context: context)
        }
        return connection
    }
}
