/// Any JSON document, kept as sent: `custom` attributes and config values.
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The deepest a value may sit in its document (levels from the root, the value's own included). Each
    /// level costs Foundation's decoder more than the one above it (every failed guess below builds the
    /// whole coding path), so a kilobyte of nested brackets took seconds of CPU; past this it is refused.
    public static let maximumDepth = 32

    public init(from decoder: any Decoder) throws {
        let path = decoder.codingPath
        guard path.count < Self.maximumDepth else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: path, debugDescription: "nested deeper than \(Self.maximumDepth) levels"))
        }
        // Arrays and objects first, their members' errors passed on (not swallowed into "not an object").
        if var elements = try? decoder.unkeyedContainer() {
            var array: [JSONValue] = []
            while !elements.isAtEnd { array.append(try elements.decode(JSONValue.self)) }
            self = .array(array)
        } else if let members = try? decoder.container(keyedBy: MemberKey.self) {
            var object: [String: JSONValue] = [:]
            for key in members.allKeys { object[key.stringValue] = try members.decode(JSONValue.self, forKey: key) }
            self = .object(object)
        } else {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else {
                self = .string(try container.decode(String.self))
            }
        }
    }

    /// Any member name of an object.
    private struct MemberKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            // Integral values go out as integers so `1000` does not come back as `1000.0`.
            if value.rounded() == value, abs(value) < 9_007_199_254_740_992 {
                try container.encode(Int64(value))
            } else {
                try container.encode(value)
            }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The value at a dotted path such as `amount` or `device.model`.
    func value(atPath path: some StringProtocol) -> JSONValue? {
        var current = self
        for key in path.split(separator: ".") {
            guard case .object(let members) = current, let next = members[String(key)] else { return nil }
            current = next
        }
        return current
    }
}
