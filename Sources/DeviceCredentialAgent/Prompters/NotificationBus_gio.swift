internal import CDeviceCredentialGio
import DeviceCredential

/// A private D-Bus connection to the session bus for freedesktop notifications (one owner for the
/// `GDBusConnection`). Signals are read by a message filter, which runs on GDBus's own worker thread
/// in the order the bus sent them, so no GLib main loop is needed in the agent; the
/// ``NotificationEventRouter`` decides which of them to believe.
final class NotificationBus: Sendable {
    static let serviceName = "org.freedesktop.Notifications"
    static let objectPath = "/org/freedesktop/Notifications"
    static let busName = "org.freedesktop.DBus"

    // The pointer is only touched inside GDBus calls, which are thread-safe.
    nonisolated(unsafe) private let connection: OpaquePointer
    private let router = NotificationEventRouter()
    private let filterID: UInt32

    /// Connects to the session bus of this environment, subscribes to the notification signals and to
    /// the service's owner changes, and learns the current owner.
    init() throws {
        // Not g_dbus_address_get_for_bus_sync: its last resort autolaunches a dbus-daemon.
        let address = try SessionBusAddress.resolve()
        let connection = try PrivateBusConnection.open(address, context: "cannot connect to the D-Bus session bus")
        self.connection = connection
        // The filter keeps the router alive until it is removed (it may still run during removal).
        let routerPointer = Unmanaged.passRetained(router).toOpaque()
        filterID = g_dbus_connection_add_filter(
            connection, notificationSignalFilter, routerPointer,
            { Unmanaged<NotificationEventRouter>.fromOpaque($0!).release() })
        // The bus sends us only the owner's signals; the filter checks the sender again, since a signal
        // addressed to our unique name needs no match rule.
        let rules = [
            "type='signal',sender='\(Self.serviceName)',interface='\(Self.serviceName)',path='\(Self.objectPath)'",
            "type='signal',sender='\(Self.busName)',interface='\(Self.busName)',member='NameOwnerChanged',"
                + "arg0='\(Self.serviceName)'",
        ]
        for rule in rules {
            let reply = try callBus("AddMatch", arguments: [g_variant_new_string(rule)])
            g_variant_unref(reply)
        }
        // After the match rules: an owner change from now on arrives as a signal.
        router.adoptInitialOwner(currentOwner())
    }

    deinit {
        g_dbus_connection_remove_filter(connection, filterID)
        g_dbus_connection_close_sync(connection, nil, nil)
        g_object_unref(UnsafeMutableRawPointer(connection))
    }

    /// Whether a notification server owns its name on the bus now.
    func hasNotificationServer() -> Bool {
        router.owner != nil
    }

    /// Whether the bus can start a notification server on demand (D-Bus activation).
    func isActivatable() -> Bool {
        guard let reply = try? callBus("ListActivatableNames", arguments: []) else { return false }
        defer { g_variant_unref(reply) }
        return strings(in: reply).contains(Self.serviceName)
    }

    /// Returns once a notification server owns the name, or when the task is cancelled.
    func waitForServer() async {
        await router.waitForOwner()
    }

    /// What the notification server can do (`GetCapabilities`), e.g. `actions`, `body-markup`.
    func capabilities() throws -> [String] {
        let reply = try call(method: "GetCapabilities", arguments: [], timeoutMilliseconds: 25_000)
        defer { g_variant_unref(reply) }
        return strings(in: reply)
    }

    /// Shows a notification and returns its id. The timeout leaves room for a server that D-Bus
    /// activation starts for this call.
    func notify(
        summary: String, body: String, actions: [(key: String, label: String)], hints: NotificationHints,
        appName: String = "devicecred-agent"
    ) throws -> UInt32 {
        let actionStrings = actions.flatMap { [$0.key, $0.label] }
        let cStrings = actionStrings.map { UnsafePointer(strdup($0)) } + [nil]
        defer { for string in cStrings { free(UnsafeMutableRawPointer(mutating: string)) } }
        let actionVariant = cStrings.withUnsafeBufferPointer { g_variant_new_strv($0.baseAddress, -1) }
        var hintEntries: [OpaquePointer?] = [
            entry("urgency", g_variant_new_byte(hints.urgency)),
            entry("resident", g_variant_new_boolean(1)),
        ]
        if let category = hints.category { hintEntries.append(entry("category", g_variant_new_string(category))) }
        for (key, value) in hints.strings { hintEntries.append(entry(key, g_variant_new_string(value))) }
        let hintVariant = hintEntries.withUnsafeBufferPointer {
            g_variant_new_array(nil, $0.baseAddress, gsize($0.count))
        }
        let arguments: [OpaquePointer?] = [
            g_variant_new_string(appName), g_variant_new_uint32(0),
            g_variant_new_string("dialog-password"), g_variant_new_string(summary), g_variant_new_string(body),
            actionVariant, hintVariant, g_variant_new_int32(0),
        ]
        let reply = try call(method: "Notify", arguments: arguments, timeoutMilliseconds: 25_000)
        defer { g_variant_unref(reply) }
        let value = g_variant_get_child_value(reply, 0)
        defer { g_variant_unref(value) }
        return g_variant_get_uint32(value)
    }

    /// Takes a notification away (`CloseNotification`); a server that already forgot it may say so,
    /// which changes nothing.
    func close(id: UInt32) {
        let reply = try? call(
            method: "CloseNotification", arguments: [g_variant_new_uint32(id)], timeoutMilliseconds: 5000)
        if let reply { g_variant_unref(reply) }
    }

    /// Waits for the first believable event about our notification `id` (see ``NotificationEventRouter``).
    func nextEvent(for id: UInt32) async -> NotificationEvent {
        await router.nextEvent(for: id)
    }

    private func currentOwner() -> String? {
        guard let reply = try? callBus("GetNameOwner", arguments: [g_variant_new_string(Self.serviceName)]) else {
            return nil  // org.freedesktop.DBus.Error.NameHasNoOwner
        }
        defer { g_variant_unref(reply) }
        let value = g_variant_get_child_value(reply, 0)
        defer { g_variant_unref(value) }
        return String(cString: g_variant_get_string(value, nil))
    }

    /// The strings of a reply `(as)`.
    private func strings(in reply: OpaquePointer) -> [String] {
        let array = g_variant_get_child_value(reply, 0)
        defer { g_variant_unref(array) }
        return (0..<g_variant_n_children(array)).map { index in
            let item = g_variant_get_child_value(array, index)
            defer { g_variant_unref(item) }
            return String(cString: g_variant_get_string(item, nil))
        }
    }

    private func entry(_ key: String, _ value: OpaquePointer?) -> OpaquePointer? {
        g_variant_new_dict_entry(g_variant_new_string(key), g_variant_new_variant(value))
    }

    private func callBus(_ method: String, arguments: [OpaquePointer?]) throws -> OpaquePointer {
        try call(
            destination: Self.busName, path: "/org/freedesktop/DBus", interface: Self.busName, method: method,
            arguments: arguments, timeoutMilliseconds: 5000)
    }

    private func call(method: String, arguments: [OpaquePointer?], timeoutMilliseconds: Int32) throws
        -> OpaquePointer
    {
        try call(
            destination: Self.serviceName, path: Self.objectPath, interface: Self.serviceName, method: method,
            arguments: arguments, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// A synchronous method call; the floating `arguments` are consumed. Returns the reply tuple (unref it).
    private func call(
        destination: String, path: String, interface: String, method: String, arguments: [OpaquePointer?],
        timeoutMilliseconds: Int32
    ) throws -> OpaquePointer {
        let parameters = arguments.withUnsafeBufferPointer { g_variant_new_tuple($0.baseAddress, gsize($0.count)) }
        var error: UnsafeMutablePointer<GError>?
        let reply = g_dbus_connection_call_sync(
            connection, destination, path, interface, method, parameters, nil,
            G_DBUS_CALL_FLAGS_NONE, timeoutMilliseconds, nil, &error)
        guard let reply else { throw GioError.consume(error, context: "D-Bus call \(method) failed") }
        return reply
    }
}

/// Notification hints beyond the defaults.
struct NotificationHints: Sendable {
    /// 0 low, 1 normal, 2 critical.
    var urgency: UInt8 = 2
    var category: String?
    var strings: [(String, String)] = []
}

/// The message filter, on GDBus's worker thread: hands `Notify` replies, `ActionInvoked`,
/// `NotificationClosed` and the service's `NameOwnerChanged` to the router with their sender. Only
/// messages of the exact signature are read, so a malformed one from anyone cannot trip GLib.
private let notificationSignalFilter: GDBusMessageFilterFunction = { _, message, incoming, userData in
    guard incoming != 0, let message, let userData, let sender = g_dbus_message_get_sender(message),
        let body = g_dbus_message_get_body(message)
    else { return message }
    let router = Unmanaged<NotificationEventRouter>.fromOpaque(userData).takeUnretainedValue()
    let from = String(cString: sender)
    let signature = g_dbus_message_get_signature(message).map { String(cString: $0) } ?? ""
    let text = { (index: Int) -> String in
        let value = g_variant_get_child_value(body, gsize(index))
        defer { g_variant_unref(value) }
        return String(cString: g_variant_get_string(value, nil))
    }
    let number = { (index: Int) -> UInt32 in
        let value = g_variant_get_child_value(body, gsize(index))
        defer { g_variant_unref(value) }
        return g_variant_get_uint32(value)
    }
    switch g_dbus_message_get_message_type(message) {
    case G_DBUS_MESSAGE_TYPE_METHOD_RETURN where signature == "u":
        // Only Notify answers one uint32 among the calls we make.
        router.notificationGiven(number(0), by: from)
    case G_DBUS_MESSAGE_TYPE_SIGNAL:
        let interface = g_dbus_message_get_interface(message).map { String(cString: $0) }
        let member = g_dbus_message_get_member(message).map { String(cString: $0) }
        let path = g_dbus_message_get_path(message).map { String(cString: $0) }
        switch (interface, member, signature) {
        case (NotificationBus.serviceName, "ActionInvoked", "us") where path == NotificationBus.objectPath:
            router.deliver(.action(text(1)), for: number(0), from: from)
        case (NotificationBus.serviceName, "NotificationClosed", "uu") where path == NotificationBus.objectPath:
            router.deliver(.closed, for: number(0), from: from)
        case (NotificationBus.busName, "NameOwnerChanged", "sss")
        where from == NotificationBus.busName && text(0) == NotificationBus.serviceName:
            let newOwner = text(2)
            router.ownerChanged(to: newOwner.isEmpty ? nil : newOwner)
        default:
            break
        }
    default:
        break
    }
    return message
}
