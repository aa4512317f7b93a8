import Foundation

/// Listening unix sockets a test binds for a daemon it starts, so clients can connect before the daemon
/// runs (the kernel queues them).
enum UnixSocket {
    /// A socket listening at `path`, close-on-exec (no other test's child inherits it; a daemon gets it
    /// through an explicit descriptor mapping).
    static func listen(at path: String) throws -> Int32 {
        let socket = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw TestSupportError("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        guard path.utf8.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(socket)
            throw TestSupportError("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, Glibc.listen(socket, 16) == 0 else {
            close(socket)
            throw TestSupportError("cannot listen on \(path): errno \(errno)")
        }
        return socket
    }
}
