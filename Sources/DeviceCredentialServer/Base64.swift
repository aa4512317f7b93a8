import Foundation

/// Base64 in the forms clients send: standard or URL alphabet, padded or not.
enum Base64 {
    static func decodeLenient(_ text: some StringProtocol) -> Data? {
        var normalized = String(text).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !normalized.isEmpty, !normalized.contains("=") || normalized.hasSuffix("=") else { return nil }
        normalized = normalized.trimmingCharacters(in: CharacterSet(charactersIn: "="))
        let remainder = normalized.count % 4
        guard remainder != 1 else { return nil }
        if remainder > 0 { normalized += String(repeating: "=", count: 4 - remainder) }
        return Data(base64Encoded: normalized)
    }

    static func urlEncodedWithoutPadding(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
