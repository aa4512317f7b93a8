/// Markup in which every interpolated `String` is escaped and only `HTML` goes in as it is, so a user id
/// or action code such as `<script>` cannot become a tag: `"<p>\(userId)</p>" as HTML`.
struct HTML: Sendable, ExpressibleByStringInterpolation {
    let markup: String

    init(stringLiteral markup: String) { self.markup = markup }
    init(stringInterpolation: Interpolation) { markup = stringInterpolation.markup }

    struct Interpolation: StringInterpolationProtocol {
        var markup = ""
        init(literalCapacity: Int, interpolationCount: Int) { markup.reserveCapacity(literalCapacity * 2) }
        mutating func appendLiteral(_ literal: String) { markup += literal }
        mutating func appendInterpolation(_ text: String) { markup += HTML.escape(text) }
        mutating func appendInterpolation(_ html: HTML) { markup += html.markup }
        mutating func appendInterpolation(_ parts: [HTML]) { markup += parts.map(\.markup).joined(separator: "\n") }
    }

    /// Escapes text for element content and quoted attribute values alike. Scalar by scalar: a quote
    /// followed by a combining mark is one Character that equals no quote, yet the browser ends the
    /// attribute at its first byte.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
