import FoundationEssentials

/// A validated API base or request URL: `https`, or plain `http` only to a loopback address.
package struct APIURL: Sendable, Hashable {
    let scheme: String
    let host: String
    let port: Int?
    /// The URL as given, without a trailing `/`.
    let string: String

    init(_ text: String) throws {
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), let host = url.host,
            !host.isEmpty
        else {
            throw DeviceCredentialError(code: .invalidConfiguration, message: "'\(text)' is not an absolute URL")
        }
        guard scheme == "https" || (scheme == "http" && Self.isLoopback(host)) else {
            throw DeviceCredentialError(
                code: .invalidConfiguration,
                message: "the API URL must use https (plain http is allowed only to a loopback address)")
        }
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = url.port
        self.string = trimmed
    }

    /// Whether `host` names this machine: 127.0.0.0/8, ::1 or localhost.
    /// This machine by name or address: `localhost`, `::1`, or an IPv4 address in 127.0.0.0/8 (all four
    /// parts numbers: `127.example.com` is a name like any other, and may be anywhere).
    package static func isLoopback(_ host: String) -> Bool {
        var bare = Substring(host.lowercased())
        if bare.hasPrefix("["), bare.hasSuffix("]") { bare = bare.dropFirst().dropLast() }
        if bare == "localhost" || bare == "::1" { return true }
        let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
        let isOctet = { (part: Substring) in
            !part.isEmpty && part.count <= 3 && part.allSatisfy { $0.isASCII && $0.isNumber } && Int(part)! <= 255
        }
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy(isOctet)
    }

    /// Whether `other` has the same scheme, host and port (a redirect there stays on this origin).
    func isSameOrigin(as other: APIURL) -> Bool {
        scheme == other.scheme && host == other.host && effectivePort == other.effectivePort
    }

    private var effectivePort: Int { port ?? (scheme == "https" ? 443 : 80) }
}
