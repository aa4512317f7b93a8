/// The subset of TOML the config file needs: `[tables]`, `[[arrays of tables]]` (dotted headers allowed),
/// `key = value` with bare or quoted (dotted) keys, strings, integers, floats, booleans and arrays of those,
/// and comments. Anything else is a clear error with its line number.
public enum TOMLParser {
    public struct Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "TOML line \(line): \(message)" }
    }

    /// The most parts a dotted key or table name may have: the document nests no deeper than a few times
    /// this, where a 4 KB key of 2000 parts overflowed the stack turning the document into JSON.
    public static let maximumKeyParts = 16

    /// Parses `text` into the JSON document it denotes (the root is an object).
    public static func parse(_ text: String) throws(Error) -> JSONValue {
        var scanner = Scanner(Array(text.unicodeScalars))
        let root = Table()
        var current = root
        while true {
            scanner.skipBlankLines()
            guard let scalar = scanner.peek() else { break }
            if scalar == "[" {
                let isArray = scanner.peek(offset: 1) == "["
                scanner.advance(isArray ? 2 : 1)
                scanner.skipSpaces()
                let path = try scanner.key()
                scanner.skipSpaces()
                guard scanner.consume(isArray ? "]]" : "]") else {
                    throw scanner.error("expected '\(isArray ? "]]" : "]")' after the table name")
                }
                current = try isArray ? root.appendTable(at: path, scanner) : root.defineTable(at: path, scanner)
            } else {
                let path = try scanner.key()
                scanner.skipSpaces()
                guard scanner.consume("=") else { throw scanner.error("expected '=' after the key") }
                scanner.skipSpaces()
                let value = try scanner.value()
                try current.set(value, at: path, scanner)
            }
            scanner.skipSpaces()
            scanner.skipComment()
            guard scanner.atLineEnd else { throw scanner.error("unexpected text after the value") }
        }
        return root.json
    }

    /// A table under construction; arrays of tables need reference semantics while parsing.
    private final class Table {
        enum Node {
            case value(JSONValue)
            case table(Table)
            case tables([Table])
        }
        var keys: [String] = []
        var nodes: [String: Node] = [:]
        /// Declared by a `[header]` (rather than implied by a longer one): declaring it again is an error.
        var isDeclared = false

        var json: JSONValue {
            var object: [String: JSONValue] = [:]
            for key in keys {
                switch nodes[key]! {
                case .value(let value): object[key] = value
                case .table(let table): object[key] = table.json
                case .tables(let tables): object[key] = .array(tables.map(\.json))
                }
            }
            return .object(object)
        }

        private func store(_ node: Node, for key: String) {
            if nodes[key] == nil { keys.append(key) }
            nodes[key] = node
        }

        /// The table at `path` (created when missing), entering the last element of arrays of tables.
        private func walk(_ path: ArraySlice<String>, _ scanner: Scanner) throws(Error) -> Table {
            var table = self
            for key in path {
                switch table.nodes[key] {
                case nil:
                    let child = Table()
                    table.store(.table(child), for: key)
                    table = child
                case .table(let child): table = child
                case .tables(let children): table = children[children.count - 1]
                case .value: throw scanner.error("'\(key)' is already a value, not a table")
                }
            }
            return table
        }

        func defineTable(at path: [String], _ scanner: Scanner) throws(Error) -> Table {
            let parent = try walk(path.dropLast(), scanner)
            let key = path[path.count - 1]
            switch parent.nodes[key] {
            case nil:
                let table = Table()
                table.isDeclared = true
                parent.store(.table(table), for: key)
                return table
            case .table(let table) where !table.isDeclared:
                table.isDeclared = true
                return table
            default: throw scanner.error("table '\(path.joined(separator: "."))' is defined twice")
            }
        }

        func appendTable(at path: [String], _ scanner: Scanner) throws(Error) -> Table {
            let parent = try walk(path.dropLast(), scanner)
            let key = path[path.count - 1]
            let table = Table()
            switch parent.nodes[key] {
            case nil: parent.store(.tables([table]), for: key)
            case .tables(let tables): parent.store(.tables(tables + [table]), for: key)
            default: throw scanner.error("'\(path.joined(separator: "."))' is not an array of tables")
            }
            return table
        }

        func set(_ value: JSONValue, at path: [String], _ scanner: Scanner) throws(Error) {
            let table = try walk(path.dropLast(), scanner)
            let key = path[path.count - 1]
            guard table.nodes[key] == nil else {
                throw scanner.error("key '\(path.joined(separator: "."))' is set twice")
            }
            table.store(.value(value), for: key)
        }
    }

    private struct Scanner {
        let scalars: [Unicode.Scalar]
        var index = 0
        var line = 1

        init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

        func error(_ message: String) -> Error { Error(line: line, message: message) }

        func peek(offset: Int = 0) -> Unicode.Scalar? {
            index + offset < scalars.count ? scalars[index + offset] : nil
        }

        mutating func advance(_ count: Int = 1) {
            for _ in 0..<count where index < scalars.count {
                if scalars[index] == "\n" { line += 1 }
                index += 1
            }
        }

        mutating func consume(_ text: String) -> Bool {
            let expected = Array(text.unicodeScalars)
            guard index + expected.count <= scalars.count,
                Array(scalars[index..<index + expected.count]) == expected
            else { return false }
            advance(expected.count)
            return true
        }

        var atLineEnd: Bool { peek() == nil || peek() == "\n" || (peek() == "\r" && peek(offset: 1) == "\n") }

        mutating func skipSpaces() {
            while let scalar = peek(), scalar == " " || scalar == "\t" { advance() }
        }

        mutating func skipComment() {
            guard peek() == "#" else { return }
            while let scalar = peek(), scalar != "\n" { advance() }
        }

        mutating func skipBlankLines() {
            while true {
                skipSpaces()
                skipComment()
                guard let scalar = peek(), scalar == "\n" || scalar == "\r" else { return }
                advance()
            }
        }

        /// A possibly dotted key: `a`, `"quoted key"`, `a.b`.
        mutating func key() throws(Error) -> [String] {
            var parts: [String] = []
            repeat {
                skipSpaces()
                if peek() == "\"" {
                    parts.append(try basicString())
                } else if peek() == "'" {
                    parts.append(try literalString())
                } else {
                    var bare = ""
                    while let scalar = peek(), Self.isBareKey(scalar) {
                        bare.unicodeScalars.append(scalar)
                        advance()
                    }
                    guard !bare.isEmpty else { throw error("expected a key") }
                    parts.append(bare)
                }
                skipSpaces()
                guard parts.count <= TOMLParser.maximumKeyParts else {
                    throw error("a key or table name has more than \(TOMLParser.maximumKeyParts) parts")
                }
            } while consume(".")
            return parts
        }

        private static func isBareKey(_ scalar: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                || scalar == "_" || scalar == "-"
        }

        mutating func value() throws(Error) -> JSONValue {
            switch peek() {
            case "\"":
                if consume("\"\"\"") { throw error("multi-line strings are not supported") }
                return .string(try basicString())
            case "'": return .string(try literalString())
            case "[": return try array()
            case "{": throw error("inline tables are not supported; use a [table] header")
            case nil: throw error("expected a value")
            default:
                var word = ""
                while let scalar = peek(), !" \t\r\n,]#".unicodeScalars.contains(scalar) {
                    word.unicodeScalars.append(scalar)
                    advance()
                }
                if word == "true" { return .bool(true) }
                if word == "false" { return .bool(false) }
                if let number = Self.number(word) { return .number(number) }
                throw error("'\(word)' is not a string, number, boolean or array")
            }
        }

        private static func number(_ word: String) -> Double? {
            guard !word.isEmpty, !word.hasPrefix("_"), !word.hasSuffix("_"), !word.contains("__") else { return nil }
            let plain = String(word.filter { $0 != "_" })
            let digits = plain.unicodeScalars.drop { $0 == "+" || $0 == "-" }
            guard let first = digits.first, ("0"..."9").contains(first),
                plain.unicodeScalars.allSatisfy({ "0123456789+-.eE".unicodeScalars.contains($0) })
            else { return nil }
            // "1e400" overflows to infinity, which nothing downstream can use: not a number.
            guard let value = Double(plain), value.isFinite else { return nil }
            return value
        }

        private mutating func array() throws(Error) -> JSONValue {
            advance()
            var elements: [JSONValue] = []
            while true {
                skipBlankLines()
                if consume("]") { return .array(elements) }
                let element = try value()
                if case .array = element { throw error("nested arrays are not supported") }
                elements.append(element)
                skipBlankLines()
                if consume("]") { return .array(elements) }
                guard consume(",") else { throw error("expected ',' or ']' in the array") }
            }
        }

        private mutating func literalString() throws(Error) -> String {
            advance()
            var text = ""
            while let scalar = peek(), scalar != "'" {
                guard scalar != "\n" else { throw error("unterminated string") }
                text.unicodeScalars.append(scalar)
                advance()
            }
            guard consume("'") else { throw error("unterminated string") }
            return text
        }

        private mutating func basicString() throws(Error) -> String {
            advance()
            var text = ""
            while let scalar = peek(), scalar != "\"" {
                guard scalar != "\n" else { throw error("unterminated string") }
                advance()
                guard scalar == "\\" else {
                    text.unicodeScalars.append(scalar)
                    continue
                }
                guard let escape = peek() else { throw error("unterminated string") }
                advance()
                switch escape {
                case "\"": text += "\""
                case "\\": text += "\\"
                case "n": text += "\n"
                case "t": text += "\t"
                case "r": text += "\r"
                case "b": text += "\u{8}"
                case "f": text += "\u{C}"
                case "u", "U":
                    let length = escape == "u" ? 4 : 8
                    var hex = ""
                    for _ in 0..<length {
                        guard let digit = peek() else { break }
                        hex.unicodeScalars.append(digit)
                        advance()
                    }
                    guard hex.count == length, let code = UInt32(hex, radix: 16), let unicode = Unicode.Scalar(code)
                    else { throw error("invalid unicode escape '\\\(escape)\(hex)'") }
                    text.unicodeScalars.append(unicode)
                default: throw error("invalid escape '\\\(escape)'")
                }
            }
            guard consume("\"") else { throw error("unterminated string") }
            return text
        }
    }
}
