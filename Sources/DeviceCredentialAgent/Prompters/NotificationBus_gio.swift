internal import CDeviceCredentialGio
import DeviceCredential
import Synchronization

/// What the notification server said about one of our notifications.
enum NotificationEvent: Sendable, Equatable {
    /// The person clicked an action button (its key, e.g. `approve`).
    case action(String)
    /// The notification went away without an action (dismissed, expired, closed by us).
    case closed
    /// We stopped waiting (the challenge was withdrawn).
    case withdrawn
}

/// A private D-Bus connection to the session bus for freedesktop notifications (one owner for the
/// `GDBusConnection`). Signals are read by a message filter, which runs on GDBus's own worker thread,
/// so no GLib main loop is needed in the agent.
final class NotificationBus: Sendable {
    static let serviceName = "org.freedesktop.Notifications"
    static let objectPath = "/org/freedesktop/Notifications"

    // The pointer is only touched inside GDBus calls, which are thread-safe.
    nonisolated(unsafe) private let connection: OpaquePointer
    private let router = NotificationEventRouter()
    private let filterID: UInt32

    /// Connects to the session bus of this environment and subscribes to the notification signals.
    init() throws {
        // Not g_dbus_address_get_for_bus_sync: its last resort autolaunches a dbus-daemon.
        let address = try SessionBusAddress.resolve()
        var error: UnsafeMutablePointer<GError>?
        let flags = GDBusConnectionFlags(
            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT.rawValue
                | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION.rawValue)
        guard let connection = g_dbus_connection_new_for_address_sync(address, flags, nil, nil, &error) else {
            throw GioError.consume(error, context: "cannot connect to the D-Bus session bus")
        }
        self.connection = connection
        let routerPointer = Unmanaged.passUnretained(router).toOpaque()
        filterID = g_dbus_connection_add_filter(connection, notificationSignalFilter, routerPointer, nil)
        let rule = "type='signal',interface='\(Self.serviceName)',path='\(Self.objectPath)'"
        _ = try? callBus("AddMatch", arguments: [g_variant_new_string(rule)])
    }

    deinit {
        g_dbus_connection_remove_filter(connection, filterID)
        g_dbus_connection_close_sync(connection, nil, nil)
        g_object_unref(UnsafeMutableRawPointer(connection))
    }

    /// Whether a notification server owns its name on the bus now.
    func hasNotificationServer() -> Bool {
        guard let reply = try? callBus("NameHasOwner", arguments: [g_variant_new_string(Self.serviceName)]) else {
            return false
        }
        defer { g_variant_unref(reply) }
        let value = g_variant_get_child_value(reply, 0)
        defer { g_variant_unref(value) }
        return g_variant_get_boolean(value) != 0
    }

    /// Shows a notification and returns its id.
    func notify(summary: String, body: String, actions: [(key: String, label: String)], hints: NotificationHints)
        throws -> UInt32
    {
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
            g_variant_new_string("devicecred-agent"), g_variant_new_uint32(0),
            g_variant_new_string("dialog-password"), g_variant_new_string(summary), g_variant_new_string(body),
            actionVariant, hintVariant, g_variant_new_int32(0),
        ]
        let reply = try call(
            destination: Self.serviceName, path: Self.objectPath, interface: Self.serviceName, method: "Notify",
            arguments: arguments)
        defer { g_variant_unref(reply) }
        let value = g_variant_get_child_value(reply, 0)
        defer { g_variant_unref(value) }
        return g_variant_get_uint32(value)
    }

    /// Takes a notification away (`CloseNotification`).
    func close(id: UInt32) {
        let reply = try? call(
            destination: Self.serviceName, path: Self.objectPath, interface: Self.serviceName,
            method: "CloseNotification", arguments: [g_variant_new_uint32(id)])
        if let reply { g_variant_unref(reply) }
    }

    /// Waits for the first event about notification `id`; returns ``NotificationEvent/withdrawn`` on cancellation.
    func nextEvent(for id: UInt32) async -> NotificationEvent {
        await router.nextEvent(for: id)
    }

    private func entry(_ key: String, _ value: OpaquePointer?) -> OpaquePointer? {
        g_variant_new_dict_entry(g_variant_new_string(key), g_variant_new_variant(value))
    }

    private func callBus(_ method: String, arguments: [OpaquePointer?]) throws -> OpaquePointer {
        try call(
            destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
            method: method, arguments: arguments)
    }

    /// A synchronous method call; the floating `arguments` are consumed. Returns the reply tuple (unref it).
    private func call(
        destination: String, path: String, interface: String, method: String, arguments: [OpaquePointer?]
    ) throws -> OpaquePointer {
        let parameters = arguments.withUnsafeBufferPointer { g_variant_new_tuple($0.baseAddress, gsize($0.count)) }
        var error: UnsafeMutablePointer<GError>?
        let reply = g_dbus_connection_call_sync(
            connection, destination, path, interface, method, parameters, nil,
            G_DBUS_CALL_FLAGS_NONE, 5000, nil, &error)
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

/// Hands notification signals, which arrive on GDBus's worker thread, to the tasks waiting for them.
final class NotificationEventRouter: Sendable {
    private struct State {
        var waiting: [UInt32: CheckedContinuation<NotificationEvent, Never>] = [:]
        // Signals that came before their waiter (a fast server, or another app's notification), bounded.
        var early: [(UInt32, NotificationEvent)] = []
    }
    private let state = Mutex(State())

    func deliver(_ event: NotificationEvent, for id: UInt32) {
        let waiter = state.withLock { state -> CheckedContinuation<NotificationEvent, Never>? in
            if let waiter = state.waiting.removeValue(forKey: id) { return waiter }
            state.early.append((id, event))
            if state.early.count > 32 { state.early.removeFirst() }
            return nil
        }
        waiter?.resume(returning: event)
    }

    func nextEvent(for id: UInt32) async -> NotificationEvent {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> NotificationEvent? in
                    if let index = state.early.firstIndex(where: { $0.0 == id }) {
                        return state.early.remove(at: index).1
                    }
                    if Task.isCancelled { return .withdrawn }
                    state.waiting[id] = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            deliver(.withdrawn, for: id)
        }
    }

    /// Drops events about `id` that nobody waited for.
    func forget(_ id: UInt32) {
        state.withLock { $0.early.removeAll { $0.0 == id } }
    }
}

/// The message filter: picks `ActionInvoked` and `NotificationClosed` out of the incoming messages.
private let notificationSignalFilter: GDBusMessageFilterFunction = { _, message, incoming, userData in
    guard incoming != 0, let message, let userData,
        g_dbus_message_get_message_type(message) == G_DBUS_MESSAGE_TYPE_SIGNAL,
        let interface = g_dbus_message_get_interface(message),
        String(cString: interface) == NotificationBus.serviceName,
        let member = g_dbus_message_get_member(message).map({ String(cString: $0) }),
        let body = g_dbus_message_get_body(message)
    else { return message }
    let router = Unmanaged<NotificationEventRouter>.fromOpaque(userData).takeUnretainedValue()
    let idValue = g_variant_get_child_value(body, 0)
    defer { g_variant_unref(idValue) }
    let id = g_variant_get_uint32(idValue)
    switch member {
    case "ActionInvoked":
        let keyValue = g_variant_get_child_value(body, 1)
        defer { g_variant_unref(keyValue) }
        let key = String(cString: g_variant_get_string(keyValue, nil))
        router.deliver(.action(key), for: id)
    case "NotificationClosed":
        router.deliver(.closed, for: id)
    default:
        break
    }
    return message
}
