import Foundation

/// A plain TCP connection to the server under test, for what an HTTP client will not do: stay idle, send
/// half a request, half-close. Reads block on a dispatch thread (never on the server's executor) and are
/// bounded by `SO_RCVTIMEO`, so a server that never answers fails the test instead of hanging it.
final class RawConnection: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible { var description: String }

    private let socket: Int32

    init(port: Int, readBound seconds: Int = 30) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(socket)
            throw Failure(description: "connect: errno \(errno)")
        }
    }

    deinit { close(socket) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, 0) }
            guard sent > 0 else { throw Failure(description: "send: errno \(errno)") }
            offset += sent
        }
    }

    /// The client is done sending; the server can still answer.
    func halfClose() { shutdown(socket, Int32(SHUT_WR)) }

    /// Everything the server sends until it closes the connection. Throws when the read bound passes first.
    func readUntilClosed() async throws -> Data {
        let socket = self.socket
        let result: Result<Data, Failure> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var received = Data()
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let count = recv(socket, &buffer, buffer.count, 0)
                    if count > 0 {
                        received.append(contentsOf: buffer[0..<count])
                    } else if count == 0 {
                        return continuation.resume(returning: .success(received))
                    } else if errno == EINTR {
                        continue
                    } else if errno == ECONNRESET {
                        return continuation.resume(returning: .success(received))
                    } else {
                        return continuation.resume(
                            returning: .failure(Failure(description: "the server did not close the connection")))
                    }
                }
            }
        }
        return try result.get()
    }
}
