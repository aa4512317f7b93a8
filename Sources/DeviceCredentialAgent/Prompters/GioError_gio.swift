internal import CDeviceCredentialGio
import DeviceCredential

/// The one place in the agent where a `GError` becomes a ``DeviceCredentialError`` (and is freed).
enum GioError {
    static func consume(_ error: UnsafeMutablePointer<GError>?, context: String) -> DeviceCredentialError {
        guard let error else { return DeviceCredentialError(code: .promptFailed, message: context) }
        defer { g_error_free(error) }
        let message = error.pointee.message.map { String(cString: $0) } ?? "unknown error"
        return DeviceCredentialError(code: .promptFailed, message: "\(context): \(message)")
    }
}

extension GioError {
    /// A failed D-Bus call, read from its `GError` (which is freed).
    struct CallFailure {
        /// The D-Bus error name of an error reply.
        var remoteName: String?
        var message: String
        /// The call was cancelled through its `GCancellable`.
        var cancelled: Bool
    }

    static func consumeCall(_ error: UnsafeMutablePointer<GError>?) -> CallFailure {
        guard let error else { return CallFailure(remoteName: nil, message: "unknown D-Bus error", cancelled: false) }
        defer { g_error_free(error) }
        let cancelled = g_error_matches(error, g_io_error_quark(), gint(G_IO_ERROR_CANCELLED.rawValue)) != 0
        let remote = g_dbus_error_get_remote_error(error)
        defer { g_free(remote) }
        if remote != nil { g_dbus_error_strip_remote_error(error) }
        let message = error.pointee.message.map { String(cString: $0) } ?? "unknown error"
        return CallFailure(remoteName: remote.map { String(cString: $0) }, message: message, cancelled: cancelled)
    }
}
