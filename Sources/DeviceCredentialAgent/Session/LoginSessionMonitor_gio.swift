internal import CDeviceCredentialGio
import DeviceCredential
public import Logging

/// The agent's view of its login session through logind (`org.freedesktop.login1` on the system bus):
/// whether the session is active and unlocked (``SessionPresence``), and when the machine resumes from
/// suspend (``ResumeSignal``). One private connection; signals are read by a message filter on GDBus's
/// worker thread, in bus order, so no GLib main loop is needed.
///
/// The session is `XDG_SESSION_ID`'s when set (an agent started by the session), else the user's
/// graphical session (`Display` of the logind user), which is the one a systemd user unit belongs to.
public final class LoginSessionMonitor: Sendable {
    static let service = "org.freedesktop.login1"
    static let managerPath = "/org/freedesktop/login1"
    static let busName = "org.freedesktop.DBus"

    public var presence: SessionPresence { router.presence }
    public var resumes: ResumeSignal { router.resumes }
    /// The logind object path of the session followed.
    public var sessionPath: String { router.sessionPath }

    // The pointer is only touched inside GDBus calls, which are thread-safe.
    nonisolated(unsafe) private let connection: OpaquePointer
    private let router: LoginSessionRouter
    private let filterID: UInt32

    /// Why the agent goes on without logind.
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    /// Connects to the system bus (`DBUS_SYSTEM_BUS_ADDRESS`, else the standard socket), finds the session
    /// and reads its state. Throws ``Unavailable`` when there is no system bus, no logind, or no session.
    package init(logger: Logger, environment: (String) -> String? = SessionBusAddress.processEnvironment) throws {
        let address =
            environment("DBUS_SYSTEM_BUS_ADDRESS").flatMap { $0.isEmpty ? nil : $0 }
            ?? "unix:path=/run/dbus/system_bus_socket"
        let connection: OpaquePointer
        do {
            connection = try PrivateBusConnection.open(address, context: "no system bus")
        } catch {
            throw Unavailable(description: "\(error)")
        }
        do {
            guard let owner = try? Self.nameOwner(connection) else {
                throw Unavailable(description: "logind is not on the system bus")
            }
            let sessionPath = try Self.sessionPath(connection, environment: environment)
            router = LoginSessionRouter(
                presence: SessionPresence(), resumes: ResumeSignal(), sessionPath: sessionPath, owner: owner,
                logger: logger)
        } catch {
            g_dbus_connection_close_sync(connection, nil, nil)
            g_object_unref(UnsafeMutableRawPointer(connection))
            throw error
        }
        self.connection = connection
        let routerPointer = Unmanaged.passRetained(router).toOpaque()
        filterID = g_dbus_connection_add_filter(
            connection, loginSignalFilter, routerPointer,
            { Unmanaged<LoginSessionRouter>.fromOpaque($0!).release() })
        let rules = [
            "type='signal',sender='\(Self.service)',interface='org.freedesktop.DBus.Properties',"
                + "member='PropertiesChanged',path='\(router.sessionPath)'",
            "type='signal',sender='\(Self.service)',interface='org.freedesktop.login1.Manager',"
                + "member='PrepareForSleep',path='\(Self.managerPath)'",
            "type='signal',sender='\(Self.busName)',interface='\(Self.busName)',member='NameOwnerChanged',"
                + "arg0='\(Self.service)'",
        ]
        for rule in rules {
            g_variant_unref(
                try Self.call(
                    connection, destination: Self.busName, path: "/org/freedesktop/DBus", interface: Self.busName,
                    method: "AddMatch", arguments: [g_variant_new_string(rule)]))
        }
        // After the match rules, so a change from now on arrives as a signal.
        let state = try Self.readState(connection, sessionPath: router.sessionPath)
        router.presence.update(active: state.active, locked: state.locked)
    }

    deinit {
        g_dbus_connection_remove_filter(connection, filterID)
        g_dbus_connection_close_sync(connection, nil, nil)
        g_object_unref(UnsafeMutableRawPointer(connection))
    }

    private static func nameOwner(_ connection: OpaquePointer) throws -> String {
        let reply = try call(
            connection, destination: busName, path: "/org/freedesktop/DBus", interface: busName,
            method: "GetNameOwner", arguments: [g_variant_new_string(service)])
        defer { g_variant_unref(reply) }
        return string(reply, 0)
    }

    private static func sessionPath(_ connection: OpaquePointer, environment: (String) -> String?) throws -> String {
        if let id = environment("XDG_SESSION_ID"), !id.isEmpty {
            let reply = try call(
                connection, destination: service, path: managerPath, interface: "org.freedesktop.login1.Manager",
                method: "GetSession", arguments: [g_variant_new_string(id)])
            defer { g_variant_unref(reply) }
            return objectPath(reply, 0)
        }
        let user = try call(
            connection, destination: service, path: managerPath, interface: "org.freedesktop.login1.Manager",
            method: "GetUser", arguments: [g_variant_new_uint32(getuid())])
        let userPath = objectPath(user, 0)
        g_variant_unref(user)
        let display = try property(connection, path: userPath, interface: "org.freedesktop.login1.User", "Display")
        defer { g_variant_unref(display) }
        // (so): the session id and its path; "/" when the user has no graphical session.
        guard String(cString: g_variant_get_type_string(display)) == "(so)" else {
            throw Unavailable(description: "logind's Display of this user is not a session")
        }
        let path = objectPath(display, 1)
        guard path != "/" else { throw Unavailable(description: "this user has no graphical session") }
        return path
    }

    private static func readState(_ connection: OpaquePointer, sessionPath: String) throws -> SessionPresence.State {
        let interface = "org.freedesktop.login1.Session"
        let active = try property(connection, path: sessionPath, interface: interface, "Active")
        defer { g_variant_unref(active) }
        let locked = try property(connection, path: sessionPath, interface: interface, "LockedHint")
        defer { g_variant_unref(locked) }
        guard let isActive = boolean(active), let isLocked = boolean(locked) else {
            throw Unavailable(description: "logind's session properties are not booleans")
        }
        return SessionPresence.State(active: isActive, locked: isLocked)
    }

    /// The value of a D-Bus property (unref it).
    private static func property(_ connection: OpaquePointer, path: String, interface: String, _ name: String)
        throws -> OpaquePointer
    {
        let reply = try call(
            connection, destination: service, path: path, interface: "org.freedesktop.DBus.Properties",
            method: "Get", arguments: [g_variant_new_string(interface), g_variant_new_string(name)])
        defer { g_variant_unref(reply) }
        let boxed = g_variant_get_child_value(reply, 0)!
        defer { g_variant_unref(boxed) }
        return g_variant_get_variant(boxed)
    }

    /// A synchronous call; the floating `arguments` are consumed. Returns the reply tuple (unref it).
    private static func call(
        _ connection: OpaquePointer, destination: String, path: String, interface: String, method: String,
        arguments: [OpaquePointer?]
    ) throws -> OpaquePointer {
        let parameters = arguments.withUnsafeBufferPointer { g_variant_new_tuple($0.baseAddress, gsize($0.count)) }
        var error: UnsafeMutablePointer<GError>?
        let reply = g_dbus_connection_call_sync(
            connection, destination, path, interface, method, parameters, nil, G_DBUS_CALL_FLAGS_NONE, 5000, nil,
            &error)
        guard let reply else { throw Unavailable(description: "\(method): \(message(of: error))") }
        return reply
    }

    private static func message(of error: UnsafeMutablePointer<GError>?) -> String {
        guard let error else { return "unknown error" }
        defer { g_error_free(error) }
        return error.pointee.message.map { String(cString: $0) } ?? "unknown error"
    }
}

private func string(_ tuple: OpaquePointer, _ index: Int) -> String {
    let value = g_variant_get_child_value(tuple, gsize(index))!
    defer { g_variant_unref(value) }
    return String(cString: g_variant_get_string(value, nil))
}

private func objectPath(_ tuple: OpaquePointer, _ index: Int) -> String { string(tuple, index) }

private func boolean(_ value: OpaquePointer) -> Bool? {
    guard String(cString: g_variant_get_type_string(value)) == "b" else { return nil }
    return g_variant_get_boolean(value) != 0
}

/// The message filter, on GDBus's worker thread: hands logind's session and sleep signals and logind's
/// `NameOwnerChanged` to the router with their sender. Only messages of the exact signature are read, so
/// a malformed one from anyone cannot trip GLib.
private let loginSignalFilter: GDBusMessageFilterFunction = { _, message, incoming, userData in
    guard incoming != 0, let message, let userData,
        g_dbus_message_get_message_type(message) == G_DBUS_MESSAGE_TYPE_SIGNAL,
        let sender = g_dbus_message_get_sender(message), let body = g_dbus_message_get_body(message)
    else { return message }
    let router = Unmanaged<LoginSessionRouter>.fromOpaque(userData).takeUnretainedValue()
    let from = String(cString: sender)
    let signature = g_dbus_message_get_signature(message).map { String(cString: $0) } ?? ""
    let interface = g_dbus_message_get_interface(message).map { String(cString: $0) }
    let member = g_dbus_message_get_member(message).map { String(cString: $0) }
    let path = g_dbus_message_get_path(message).map { String(cString: $0) } ?? ""
    switch (interface, member, signature) {
    case ("org.freedesktop.DBus.Properties", "PropertiesChanged", "sa{sv}as")
    where string(body, 0) == "org.freedesktop.login1.Session":
        let changed = g_variant_get_child_value(body, 1)!
        defer { g_variant_unref(changed) }
        var active: Bool?
        var locked: Bool?
        for index in 0..<g_variant_n_children(changed) {
            let entry = g_variant_get_child_value(changed, index)!
            defer { g_variant_unref(entry) }
            let key = string(entry, 0)
            let boxed = g_variant_get_child_value(entry, 1)!
            defer { g_variant_unref(boxed) }
            let value = g_variant_get_variant(boxed)!
            defer { g_variant_unref(value) }
            switch key {
            case "Active": active = boolean(value)
            case "LockedHint": locked = boolean(value)
            default: break
            }
        }
        if active != nil || locked != nil {
            router.sessionChanged(active: active, locked: locked, path: path, from: from)
        }
    case ("org.freedesktop.login1.Manager", "PrepareForSleep", "b") where path == LoginSessionMonitor.managerPath:
        let value = g_variant_get_child_value(body, 0)!
        defer { g_variant_unref(value) }
        router.prepareForSleep(g_variant_get_boolean(value) != 0, from: from)
    case (LoginSessionMonitor.busName, "NameOwnerChanged", "sss")
    where from == LoginSessionMonitor.busName && string(body, 0) == LoginSessionMonitor.service:
        let newOwner = string(body, 2)
        router.ownerChanged(to: newOwner.isEmpty ? nil : newOwner)
    default:
        break
    }
    return message
}
