import DeviceCredentialLocking
import Foundation
import Synchronization
import SystemPackage

/// A loopback port a test keeps for the whole test while the server behind it stops and starts: it
/// forwards each connection to the current server, and while there is none closes it at once (the
/// client sees a failed exchange, as with a stopped server). A server restarted on the same port
/// could find that port taken by another test's server or client in between; this one never lets go.
final class SteadyPort: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let target = Route()

    init() throws {
        // Close-on-exec: a child another test spawns meanwhile must not inherit the port.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw TestFailure("cannot create a socket") }
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }
        guard bound == 0, listen(listener, 16) == 0 else {
            close(listener)
            throw TestFailure("cannot listen on loopback")
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        let target = self.target
        Thread.detachNewThread { Self.acceptLoop(listener, target: target) }
    }

    /// `url` (a server's API URL) with this port instead of the server's.
    func url(for url: String, serverPort: Int) -> String {
        url.replacingOccurrences(of: ":\(serverPort)/", with: ":\(port)/")
    }

    /// Forwards new connections to the server on `port`; nil: there is no server.
    func forward(to port: Int?) {
        target.port.withLock { $0 = port }
    }

    deinit {
        // Wakes the accept thread, which closes the listener: closed here, its descriptor number could
        // be reused by another test before that thread's next accept.
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private static func acceptLoop(_ listener: Int32, target: Route) {
        while true {
            let client = accept(listener, nil, nil)  // accept4 is not visible to Swift: FD_CLOEXEC below
            if client < 0 {
                if errno == EINTR { continue }
                close(listener)
                return
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            guard let port = target.port.withLock({ $0 }), let server = connectLoopback(port) else {
                close(client)
                continue
            }
            let open = OpenDirections()
            for (from, to) in [(client, server), (server, client)] {
                Thread.detachNewThread {
                    pump(from, to)
                    // The second direction to finish closes both sockets.
                    if open.count.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
                        close(client)
                        close(server)
                    }
                }
            }
        }
    }

    private static func pump(_ from: Int32, _ to: Int32) {
        let (source, sink) = (FileDescriptor(rawValue: from), FileDescriptor(rawValue: to))
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while let count = try? buffer.withUnsafeMutableBytes({ try source.read(into: $0) }), count > 0 {
            guard (try? sink.writeAll(buffer[..<count])) != nil else {
                shutdown(from, Int32(SHUT_RDWR))
                shutdown(to, Int32(SHUT_RDWR))
                return
            }
        }
        shutdown(to, Int32(SHUT_WR))
        shutdown(from, Int32(SHUT_RD))
    }

    private static func connectLoopback(_ port: Int) -> Int32? {
        let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard server >= 0, connected == 0 else {
            if server >= 0 { close(server) }
            return nil
        }
        return server
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }
}

/// Where connections go: the current server's port, or nil while there is none.
private final class Route: Sendable {
    let port = Locked<Int?>(nil)
}

/// How many directions of a forwarded connection still run.
private final class OpenDirections: Sendable {
    let count = Atomic(2)
}
