import FoundationEssentials

/// The base64 forms the protocol uses.
enum Base64 {
    /// Standard alphabet, padded (RFC 4648 section 4).
    static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// URL-safe alphabet without padding (RFC 4648 section 5).
    static func urlEncodeUnpadded(_ bytes: [UInt8]) -> String {
        var text = encode(bytes)
        text = text.replacing("+", with: "-").replacing("/", with: "_")
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    /// Decodes standard padded base64, ignoring line breaks (as in PEM). Nil when it is not base64.
    static func decode(_ text: String) -> [UInt8]? {
        Data(base64Encoded: text, options: .ignoreUnknownCharacters).map { Array($0) }
    }
}
