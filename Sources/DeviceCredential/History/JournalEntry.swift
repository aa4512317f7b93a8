/// A structured journal entry in the journal's native protocol (systemd.journal-fields(7),
/// "Native Journal Protocol"): one `NAME=value` line per field, or, for a value holding a newline (or any
/// control character), the name, a newline, the value's length as 64-bit little-endian, the value and a
/// newline, so that no value can end its field and forge another.
public struct JournalEntry: Sendable, Equatable {
    /// The fields in order: names are upper case letters, digits and underscores, not starting with `_`.
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}

    /// Adds a field; a name the journal would refuse is a programming error.
    public mutating func append(_ name: String, _ value: String) {
        precondition(Self.isValidName(name), "invalid journal field name \(name)")
        fields.append((name, value))
    }

    /// The datagram: every field in the simple form when its value has no control character, else the
    /// length-prefixed binary one.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        for (name, value) in fields {
            let valueBytes = Array(value.utf8)
            bytes += Array(name.utf8)
            if valueBytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
                bytes.append(0x0A)
                var length = UInt64(valueBytes.count).littleEndian
                withUnsafeBytes(of: &length) { bytes += $0 }
                bytes += valueBytes
            } else {
                bytes.append(UInt8(ascii: "="))
                bytes += valueBytes
            }
            bytes.append(0x0A)
        }
        return bytes
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first != UInt8(ascii: "_"), name.utf8.count <= 64 else { return false }
        return name.utf8.allSatisfy { (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
    }

    public static func == (lhs: JournalEntry, rhs: JournalEntry) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }
}
