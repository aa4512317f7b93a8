import Foundation

/// A stand-in for the systemd journal's native socket: a unix datagram socket a test binds (point
/// `DEVICECRED_JOURNAL_SOCKET` at ``path``), which parses each datagram as the journal does: `NAME=value`
/// lines, or `NAME`, a newline, a 64-bit little-endian length, the value and a newline.
public final class TestJournal: @unchecked Sendable {
    public let path: String
    private let directory: String
    private let socket: Int32

    public init() throws {
        directory = try makePrivateDirectory("dc-journal")
        path = directory + "/socket"
        socket = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw TestSupportError("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw TestSupportError("cannot bind \(path): errno \(errno)") }
    }

    deinit {
        close(socket)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// One entry as received: its raw bytes and its fields in order.
    public struct Entry: Sendable {
        public var datagram: [UInt8]
        public var fields: [(name: String, value: String)]

        /// The value of the (first) field `name`.
        public subscript(name: String) -> String? { fields.first { $0.name == name }?.value }
    }

    /// The next datagram, parsed; waits for one at most `timeout` (a bound, not a synchronisation: the
    /// wait ends as soon as a datagram arrives).
    public func receive(timeout: Duration = .seconds(20)) throws -> Entry {
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000)
        guard poll(&descriptor, 1, milliseconds) == 1 else {
            throw TestSupportError("no journal entry arrived at \(path) within \(timeout)")
        }
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        let count = recv(socket, &buffer, buffer.count, 0)
        guard count >= 0 else { throw TestSupportError("recv: errno \(errno)") }
        let datagram = Array(buffer[0..<count])
        return Entry(datagram: datagram, fields: try Self.parse(datagram))
    }

    /// Whether a datagram is waiting now (nothing is read).
    public func hasPending() -> Bool {
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 1
    }

    /// The journal's parse of the native format.
    public static func parse(_ datagram: [UInt8]) throws -> [(name: String, value: String)] {
        var fields: [(String, String)] = []
        var index = 0
        while index < datagram.count {
            guard let end = datagram[index...].firstIndex(where: { $0 == 0x0A || $0 == UInt8(ascii: "=") }) else {
                throw TestSupportError("a field without = or newline at byte \(index)")
            }
            let name = String(decoding: datagram[index..<end], as: UTF8.self)
            if datagram[end] == UInt8(ascii: "=") {
                let lineEnd = datagram[end...].firstIndex(of: 0x0A) ?? datagram.count
                fields.append((name, String(decoding: datagram[(end + 1)..<lineEnd], as: UTF8.self)))
                index = lineEnd + 1
            } else {
                let start = end + 1
                guard start + 8 <= datagram.count else { throw TestSupportError("a binary field cut short") }
                var length: UInt64 = 0
                for shift in 0..<8 { length |= UInt64(datagram[start + shift]) << (8 * UInt64(shift)) }
                let valueStart = start + 8
                let valueEnd = valueStart + Int(length)
                guard valueEnd < datagram.count, datagram[valueEnd] == 0x0A else {
                    throw TestSupportError("a binary field's length does not match its bytes")
                }
                fields.append((name, String(decoding: datagram[valueStart..<valueEnd], as: UTF8.self)))
                index = valueEnd + 1
            }
        }
        return fields
    }
}
