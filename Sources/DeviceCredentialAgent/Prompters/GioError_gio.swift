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
