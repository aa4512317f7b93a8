import Foundation

/// A loopback HTTP server that answers every request with one credential and a `Date` header off by
/// `offset` seconds: the server whose clock is wrong, which devicecred-server cannot be made to be (nor
/// made to send a credential's `expiresAt`, which it also can).
/// The CLI tests cannot reach the library tests' HTTPFixture, so this is its one-purpose cousin.
final class SkewedClockServer: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32

    init(offset: TimeInterval, credentialExpiresAt: Date? = nil) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(listener, generic, length) == 0 && listen(listener, 16) == 0
                    && getsockname(listener, generic, &length) == 0
            }
        }
        guard bound else {
            close(listener)
            throw ProcessRunnerError(message: "cannot listen on loopback: errno \(errno)")
        }
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread {
            while true {
                let connection = accept(listener, nil, nil)
                if connection >= 0 {
                    Self.answer(connection, offset: offset, expiresAt: credentialExpiresAt)
                } else if errno != EINTR && errno != ECONNABORTED {
                    close(listener)  // stopped; only this thread closes it (see HTTPFixture)
                    return
                }
            }
        }
    }

    deinit { shutdown(listener, Int32(SHUT_RDWR)) }

    var apiURL: String { "http://127.0.0.1:\(port)/v1" }

    private static func answer(_ connection: Int32, offset: TimeInterval, expiresAt: Date?) {
        defer { close(connection) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.ends(with: [13, 10, 13, 10]) {
            let count = read(connection, &buffer, buffer.count)
            if count <= 0 { return }
            received += buffer[0..<count]
        }
        let expiry = expiresAt.map { #","expiresAt":""# + ISO8601DateFormatter().string(from: $0) + #"""# } ?? ""
        let body = #"{"userAuthenticatorId":"skewed-authenticator","userId":"skewed-user""# + expiry + "}"
        let head =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Date: \(httpDate(Date().addingTimeInterval(offset)))\r\nConnection: close\r\n\r\n"
        let bytes = Array((head + body).utf8)
        _ = bytes.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
        // Half-close and drain, so closing does not reset a connection the client still reads.
        shutdown(connection, Int32(SHUT_WR))
        while read(connection, &buffer, buffer.count) > 0 {}
    }

    private static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
