internal import CDeviceCredentialSecret

/// The one place a `GError` becomes a ``DeviceCredentialError`` (and is freed).
enum GLibError {
    static func consume(
        _ error: UnsafeMutablePointer<GError>?, context: String,
        fallback: DeviceCredentialError.Code = .keyStoreFailure
    ) -> DeviceCredentialError {
        guard let error else { return DeviceCredentialError(code: fallback, message: context) }
        defer { g_error_free(error) }
        let message = error.pointee.message.map { String(cString: $0) } ?? "unknown error"
        let remoteName = g_dbus_error_get_remote_error(error).map { name in
            defer { g_free(name) }
            return String(cString: name)
        }
        return DeviceCredentialError(
            code: classify(error.pointee.domain, error.pointee.code, remoteName: remoteName) ?? fallback,
            message: "\(context): \(message)")
    }

    private static func classify(_ domain: GQuark, _ code: Int32, remoteName: String?) -> DeviceCredentialError.Code? {
        if domain == secret_error_get_quark(), code == SECRET_ERROR_IS_LOCKED.rawValue { return .keyringLocked }
        if remoteName == "org.freedesktop.Secret.Error.IsLocked" { return .keyringLocked }
        if domain == g_dbus_error_quark() {
            let unavailable: [GDBusError] = [
                G_DBUS_ERROR_SERVICE_UNKNOWN, G_DBUS_ERROR_NAME_HAS_NO_OWNER, G_DBUS_ERROR_NO_REPLY,
                G_DBUS_ERROR_UNKNOWN_METHOD, G_DBUS_ERROR_UNKNOWN_OBJECT, G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND,
            ]
            if unavailable.contains(where: { Int32($0.rawValue) == code }) { return .keyringUnavailable }
        }
        if domain == g_io_error_quark(), code == G_IO_ERROR_CLOSED.rawValue { return .keyringUnavailable }
        return nil
    }
}
