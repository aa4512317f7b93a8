import DeviceCredentialLocking
import Foundation

/// A tiny HTTP/1.1 server on loopback that answers as a test tells it: the fault-injection double
/// (500s, garbage, hangs, resets) the real server would never produce on demand.
public final class HTTPFixture: Sendable {
    /// What the fixture does with one request.
    public enum Action: Sendable {
        /// Answers with a status, header fields (one line each, in order; a name may repeat) and a body,
        /// then closes.
        case answer(status: Int, fields: [(name: String, value: String)], body: String)
        /// Reads the request and never answers, until the client gives up.
        case hang
        /// Reads the request and resets the connection (TCP RST).
        case reset

        /// Answers with a status, header fields (each name once) and a body, then closes.
        public static func respond(status: Int, headers: [String: String], body: String) -> Action {
            .answer(status: status, fields: headers.map { (name: $0.key, value: $0.value) }, body: body)
        }
    }

    /// One request as received.
    public struct Request: Sendable {
        public var method: String
        public var target: String
        public var headers: [String: String]
        public var body: String
    }

    public let port: UInt16
    private let listener: Int32
    private let recorded = Locked<[Request]>([])
    private let handler: @Sendable (Request) -> Action

    /// Starts listening on 127.0.0.1 on a free port.
    public init(handler: @escaping @Sendable (Request) -> Action) throws {
        self.handler = handler
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
        guard bound else { throw FixtureError.cannotListen }
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread { [self] in
            while true {
                let connection = accept(listener, nil, nil)
                if connection >= 0 {
                    Thread.detachNewThread { self.serve(connection) }
                } else if errno != EINTR && errno != ECONNABORTED {
                    // Stopped. Only this thread closes the listener: closed by `stop()`, its number could
                    // be reused by another test's socket before this thread's next accept, which would
                    // then take that test's connections.
                    close(listener)
                    return
                }
            }
        }
    }

    /// A convenience fixture answering every request the same way.
    public convenience init(always action: Action) throws {
        try self.init { _ in action }
    }

    /// `http://127.0.0.1:PORT/v1`
    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    /// The requests received so far.
    public var requests: [Request] { recorded.withLock { $0 } }

    /// Waits until the fixture has received a request (a condition polled, with a 60 s deadline).
    public func waitForRequest() async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while requests.isEmpty {
            guard ContinuousClock.now < deadline else { throw FixtureError.noRequest }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Stops accepting connections: the accept thread sees the shutdown and closes the listener.
    public func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func serve(_ connection: Int32) {
        guard let request = Self.readRequest(connection) else {
            close(connection)
            return
        }
        recorded.withLock { $0.append(request) }
        switch handler(request) {
        case .answer(let status, let headers, let body):
            var head = "HTTP/1.1 \(status) Fixture\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            Self.writeAll(connection, Array((head + "\r\n" + body).utf8))
            // Half-close and drain until the client hangs up: closing with unread bytes would make the
            // kernel answer with a reset, which the client would rightly report as a network error.
            shutdown(connection, Int32(SHUT_WR))
            var byte: UInt8 = 0
            while read(connection, &byte, 1) > 0 {}
            close(connection)
        case .hang:
            var byte: UInt8 = 0
            while read(connection, &byte, 1) > 0 {}  // returns when the client closes
            close(connection)
        case .reset:
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(connection, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            close(connection)
        }
    }

    private static func readRequest(_ connection: Int32) -> Request? {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var headerEnd: Int?
        while headerEnd == nil {
            let count = read(connection, &buffer, buffer.count)
            if count <= 0 { return nil }
            data += buffer[0..<count]
            headerEnd = data.indices.dropLast(3).first { data[$0...$0 + 3] == [13, 10, 13, 10] }
        }
        let head = String(decoding: data[0..<headerEnd!], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = head[0].split(separator: " ")
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        var body = Array(data[(headerEnd! + 4)...])
        let expected = Int(headers["content-length"] ?? "0") ?? 0
        while body.count < expected {
            let count = read(connection, &buffer, buffer.count)
            if count <= 0 { break }
            body += buffer[0..<count]
        }
        return Request(
            method: String(requestLine[0]), target: String(requestLine[1]), headers: headers,
            body: String(decoding: body, as: UTF8.self))
    }

    private static func writeAll(_ connection: Int32, _ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
            if count <= 0 { return }
            sent += count
        }
    }
}

public enum FixtureError: Error {
    case cannotListen
    case noRequest
}
