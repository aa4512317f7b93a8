import Foundation

/// Plain loopback TCP sockets for the fault proxy (as the tests' HTTPFixture and SteadyPort use them): every
/// descriptor close-on-exec, so the agent it starts holds none of them.
enum LoopbackSocket {
    static func address(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return address
    }

    /// A listener on a port bound by number, not as port 0: a listener stopped with `shutdown` keeps such
    /// a port, so it can refuse connections for a while and listen again on the same port.
    static func listener() throws -> (socket: Int32, port: UInt16) {
        for _ in 0..<20 {
            let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = address(port: 0)
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let found = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(probe, $0, length) == 0 && getsockname(probe, $0, &length) == 0
                }
            }
            close(probe)
            guard found else { continue }
            let port = UInt16(bigEndian: address.sin_port)
            let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var reuse: Int32 = 1
            setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
            var fixed = Self.address(port: port)
            let bound = withUnsafePointer(to: &fixed) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            if bound && listen(listener, 64) == 0 { return (listener, port) }
            close(listener)  // taken in between by someone else: another port
        }
        throw SoakFailure("cannot listen on a loopback port")
    }

    /// A connection to `port` on loopback, or nil.
    static func connect(port: UInt16) -> Int32? {
        let connection = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard connection >= 0 else { return nil }
        var address = address(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(connection, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else {
            close(connection)
            return nil
        }
        setTimeout(connection, seconds: 30)
        return connection
    }

    /// Bounds every read and write: a peer that stops answering ends the exchange instead of a thread.
    static func setTimeout(_ connection: Int32, seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            setsockopt(connection, SOL_SOCKET, option, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    /// Writes all of `bytes`; false when the peer is gone.
    @discardableResult
    static func writeAll(_ connection: Int32, _ bytes: some Collection<UInt8>) -> Bool {
        let bytes = Array(bytes)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes {
                send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if count <= 0 { return false }
            sent += count
        }
        return true
    }

    /// Closes with a TCP reset (linger 0) instead of a FIN.
    static func reset(_ connection: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(connection, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(connection)
    }

    /// Half-closes and reads until the peer hangs up, then closes: closing with unread bytes would reset.
    static func finish(_ connection: Int32) {
        shutdown(connection, Int32(SHUT_WR))
        var buffer = [UInt8](repeating: 0, count: 1024)
        while read(connection, &buffer, buffer.count) > 0 {}
        close(connection)
    }
}

struct SoakFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
