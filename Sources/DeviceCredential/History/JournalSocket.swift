import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Sends entries to the systemd journal over its native socket, one datagram each, without libsystemd.
public struct JournalSocket: Sendable {
    /// The journal's socket.
    public static let defaultPath = "/run/systemd/journal/socket"
    /// Names another socket (tests, a journal in a container): `DEVICECRED_JOURNAL_SOCKET`.
    public static let pathVariable = "DEVICECRED_JOURNAL_SOCKET"

    public var path: String

    public init(path: String) {
        self.path = path
    }

    /// The journal's socket, or the one `DEVICECRED_JOURNAL_SOCKET` names.
    public static func standard() -> JournalSocket {
        let override = getenv(pathVariable).map { String(cString: $0) }
        return JournalSocket(path: override.flatMap { $0.isEmpty ? nil : $0 } ?? defaultPath)
    }

    /// Sends `entry`. Throws `history_failure` when there is no journal listening there or it refused
    /// the datagram (too large: entries here are a few kilobytes, far below its limit).
    public func send(_ entry: JournalEntry) throws {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw DeviceCredentialError(code: .historyFailure, message: "journal socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw failure("cannot open a socket for the journal") }
        defer { close(descriptor) }
        let datagram = entry.encoded
        let sent = datagram.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        }
        guard sent == datagram.count else { throw failure("cannot write to the journal at \(path)") }
    }

    private func failure(_ what: String) -> DeviceCredentialError {
        DeviceCredentialError(code: .historyFailure, message: "\(what): \(Errno(rawValue: errno))")
    }
}
