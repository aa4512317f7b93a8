/// Text that came from outside (the server, a browser, the backend, another process) made safe for the
/// place a person reads it. Every outside string reaches a terminal, a notification, a dialog or a log
/// through one of these functions, never by plain interpolation: a User-Agent of
/// `x\e[1A\e[2K\rfrom 10.0.0.1` must show its escape sequence, not redraw the screen.
///
/// Shown escaped: C0 controls (newline and tab included, so a value cannot forge another row), DEL, C1
/// controls (U+0080-U+009F, U+009B being a one-character CSI on some terminals), the bidirectional
/// marks, overrides and isolates (which reorder what the eye reads), the line and paragraph separators, and a
/// backslash (doubled, so an escape shown can't be faked by the text itself).
public enum DisplayText {
    /// One line for a terminal or a plain-text log: every character that could act is shown as an escape.
    public static func terminal(_ text: String) -> String {
        var shown = ""
        shown.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if let escape = escape(for: scalar) { shown += escape } else { shown.unicodeScalars.append(scalar) }
        }
        return shown
    }

    /// `terminal(text)`, cut to at most `limit` characters with a visible "…" so a megabyte-long value
    /// cannot push the rest of a prompt off the screen.
    public static func terminal(_ text: String, limit: Int) -> String {
        let shown = terminal(text)
        guard limit > 0, shown.count > limit else { return shown }
        return String(shown.prefix(max(0, limit - 1))) + "…"
    }

    /// The last guard where a composed message leaves for a terminal or a log: any character `terminal`
    /// would escape is escaped, except a backslash, so text already rendered (whose escapes are plain
    /// backslashes) comes out unchanged and a value that slipped through unrendered still cannot act.
    public static func guarded(_ message: String) -> String {
        var shown = ""
        shown.reserveCapacity(message.utf8.count)
        for scalar in message.unicodeScalars {
            if scalar != "\\", let escape = escape(for: scalar) {
                shown += escape
            } else {
                shown.unicodeScalars.append(scalar)
            }
        }
        return shown
    }

    /// For a notification body with the `body-markup` capability, or Pango markup in a dialog
    /// (zenity, kdialog): `terminal(text)` with `&`, `<`, `>`, `"` and `'` as entities.
    public static func markup(_ text: String) -> String {
        markup(unescapedTerminalText: terminal(text))
    }

    /// `markup(text)` cut to at most `limit` characters of the text before escaping, as `terminal(_:limit:)`.
    public static func markup(_ text: String, limit: Int) -> String {
        markup(unescapedTerminalText: terminal(text, limit: limit))
    }

    /// A JSON text (as an encoder wrote it) with the characters a terminal could act on written as `\uXXXX`
    /// escapes: DEL, the C1 controls (U+0080-U+009F), the line and paragraph separators and the bidirectional
    /// overrides and isolates. Encoders already escape C0 controls; these they leave raw, and a person may
    /// `cat` the output. The document means the same: outside strings every such character is an escape.
    public static func json(_ encoded: String) -> String {
        var shown = ""
        shown.reserveCapacity(encoded.utf8.count)
        for scalar in encoded.unicodeScalars {
            if scalar.value >= 0x7F, escape(for: scalar) != nil {
                shown += "\\u" + hex(scalar.value, digits: 4).lowercased()
            } else {
                shown.unicodeScalars.append(scalar)
            }
        }
        return shown
    }

    private static func markup(unescapedTerminalText shown: String) -> String {
        // `shown` is already terminal-safe; only the markup characters are left to escape.
        // By scalar, not by Character: "<" followed by a combining mark is one Character that is not "<".
        var escaped = ""
        for scalar in shown.unicodeScalars {
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

    private static func escape(for scalar: Unicode.Scalar) -> String? {
        switch scalar.value {
        case 0x5C: return "\\\\"
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        case 0x1B: return "\\e"
        case 0x00..<0x20, 0x7F: return "\\x" + hex(scalar.value, digits: 2)
        case 0x80...0x9F: return "\\u{" + hex(scalar.value, digits: 2) + "}"
        case 0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069:
            return "\\u{" + hex(scalar.value, digits: 4) + "}"
        default: return nil
        }
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
