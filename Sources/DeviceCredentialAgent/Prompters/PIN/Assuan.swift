/// The pieces of GnuPG's Assuan protocol that talking to pinentry needs: percent-escaping of command
/// arguments, decoding of data lines, and reading a response.
package enum Assuan {
    /// Assuan lines are at most 1000 bytes, the newline included.
    package static let maximumLineLength = 1000
    /// The most data a response may carry: far more than any PIN (a TPM's authorization value is at most
    /// 64 bytes), so that a program sending data lines without end is stopped, not buffered.
    package static let maximumResponseData = 4096

    /// Escapes an argument: `%`, and control characters (newlines become `%0A`, which pinentry shows
    /// as line breaks) as `%XX`. Cut so the whole command stays within one line.
    package static func escape(_ text: String, budget: Int = maximumLineLength - 40) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            let piece =
                scalar == "%" || scalar.value < 0x20 || scalar.value == 0x7F
                ? "%" + hex(UInt8(scalar.value)) : String(scalar)
            guard escaped.utf8.count + piece.utf8.count <= budget else { break }
            escaped += piece
        }
        return escaped
    }

    /// Decodes the `%XX` escapes of a data line's payload. A malformed escape is kept as it is.
    package static func decode(_ payload: some Collection<UInt8>) -> [UInt8] {
        let bytes = Array(payload)
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(bytes[index])
                index += 1
            }
        }
        return decoded
    }

    /// How a command ended.
    enum Response: Equatable {
        /// `OK`, with the decoded payload of the `D` lines before it.
        case ok(data: [UInt8])
        /// `ERR code description`.
        case error(code: Int, description: String)
    }

    /// The error pinentry gives when the person cancels (GPG_ERR_CANCELED in the pinentry source).
    static let cancelled = 83_886_179

    /// What one line of a response means.
    package enum Line: Equatable {
        case ok
        case error(code: Int, description: String)
        case data([UInt8])
        case inquire
        /// Status (`S`) and comment (`#`) lines, and anything unknown: skipped.
        case other

        package init(_ line: some Collection<UInt8>) {
            let text = Array(line)
            func hasKeyword(_ keyword: String) -> Bool {
                let word = Array(keyword.utf8)
                return text.starts(with: word) && (text.count == word.count || text[word.count] == 0x20)
            }
            if hasKeyword("OK") {
                self = .ok
            } else if hasKeyword("ERR") {
                let rest = String(decoding: text.dropFirst(4), as: UTF8.self)
                let code = Int(rest.prefix { $0.isNumber }) ?? 0
                self = .error(code: code, description: String(rest.drop { $0.isNumber }.drop { $0 == " " }))
            } else if hasKeyword("D") {
                self = .data(decode(text.dropFirst(2)))
            } else if hasKeyword("INQUIRE") {
                self = .inquire
            } else {
                self = .other
            }
        }
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
