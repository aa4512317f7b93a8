import Foundation

/// One HTTP/1.1 message as the proxy read it: its head's lines and its body, as bytes.
struct HTTPMessage {
    /// The start line (`GET /v1/... HTTP/1.1`, `HTTP/1.1 200 OK`).
    var startLine: String
    /// Header lines as sent, without `Connection` (the proxy speaks one exchange per connection).
    var fields: [String]
    var body: [UInt8]

    /// The request's method and target, or the response's status.
    var method: String { String(startLine.split(separator: " ").first ?? "") }
    var target: String { String(startLine.split(separator: " ").dropFirst().first ?? "") }
    var status: Int { Int(startLine.split(separator: " ").dropFirst().first ?? "") ?? 0 }

    /// The whole message with `Connection: close` and the body's length (a chunked body is sent whole).
    var bytes: [UInt8] {
        let head = ([startLine] + fields + ["Content-Length: \(body.count)", "Connection: close"])
            .joined(separator: "\r\n")
        return Array((head + "\r\n\r\n").utf8) + body
    }

    /// The head alone, as `bytes` starts.
    var headCount: Int { bytes.count - body.count }

    /// The value of `"challengeId":"..."` in the body, if any (both the challenge and the answer carry it).
    var challengeId: String? {
        let text = String(decoding: body, as: UTF8.self)
        guard let key = text.range(of: "\"challengeId\"") else { return nil }
        let rest = text[key.upperBound...].drop { $0 == " " || $0 == ":" }
        guard rest.first == "\"" else { return nil }
        let value = rest.dropFirst().prefix { $0 != "\"" }
        return value.isEmpty ? nil : String(value)
    }

    /// Reads one message from `connection`; nil when the peer closed or sent something else than HTTP.
    static func read(from connection: Int32) -> HTTPMessage? {
        var reader = Reader(connection: connection)
        guard let headEnd = reader.readUntil([13, 10, 13, 10]) else { return nil }
        let head = String(decoding: reader.data[..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
        var consumed = headEnd + 4
        let fields = head.dropFirst().filter { !$0.isEmpty }
        func field(_ name: String) -> String? {
            fields.first { $0.lowercased().hasPrefix(name + ":") }.map {
                String($0.drop { $0 != ":" }.dropFirst()).trimmingCharacters(in: .whitespaces)
            }
        }
        var body: [UInt8] = []
        if field("transfer-encoding")?.lowercased() == "chunked" {
            while true {
                guard let lineEnd = reader.readUntil([13, 10], from: consumed),
                    let size = Int(
                        String(decoding: reader.data[consumed..<lineEnd], as: UTF8.self)
                            .split(separator: ";").first ?? "", radix: 16)
                else { return nil }
                consumed = lineEnd + 2
                guard reader.readCount(consumed + size + 2) else { return nil }
                body += reader.data[consumed..<consumed + size]
                consumed += size + 2
                if size == 0 { break }
            }
        } else if let length = field("content-length").flatMap({ Int($0) }) {
            guard reader.readCount(consumed + length) else { return nil }
            body = Array(reader.data[consumed..<consumed + length])
        }
        let kept = fields.filter {
            let name = $0.lowercased()
            return !name.hasPrefix("connection:") && !name.hasPrefix("content-length:")
                && !name.hasPrefix("transfer-encoding:") && !name.hasPrefix("keep-alive:")
        }
        return HTTPMessage(startLine: head.first ?? "", fields: kept, body: body)
    }

    private struct Reader {
        let connection: Int32
        var data: [UInt8] = []

        /// Reads until `marker` appears at or after `start`; its index, or nil at the end of the stream.
        mutating func readUntil(_ marker: [UInt8], from start: Int = 0) -> Int? {
            var searched = start
            while true {
                if data.count - searched >= marker.count {
                    let last = data.count - marker.count
                    if let found = (searched...last).first(where: { data[$0..<$0 + marker.count].elementsEqual(marker) }
                    ) {
                        return found
                    }
                    searched = last + 1
                }
                guard more() else { return nil }
            }
        }

        /// Reads until at least `count` bytes are there; false at the end of the stream.
        mutating func readCount(_ count: Int) -> Bool {
            while data.count < count { guard more() else { return false } }
            return true
        }

        private mutating func more() -> Bool {
            var buffer = [UInt8](repeating: 0, count: 16 * 1024)
            let count = Glibc.read(connection, &buffer, buffer.count)
            guard count > 0 else { return false }
            data += buffer[..<count]
            return true
        }
    }
}
