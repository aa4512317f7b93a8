import FoundationEssentials

/// A validated API base or request URL: `https`, or plain `http` only to a loopback address.
struct APIURL: Sendable, Hashable {
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
    static func isLoopback(_ host: String) -> Bool {
        var bare = Substring(host.lowercased())
        if bare.hasPrefix("["), bare.hasSuffix("]") { bare = bare.dropFirst().dropLast() }
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }

    /// Whether `other` has the same scheme, host and port (a redirect there stays on this origin).
    func isSameOrigin(as other: APIURL) -> Bool {
        scheme == other.scheme && host == other.host && effectivePort == other.effectivePort
    }

    private var effectivePort: Int { port ?? (scheme == "https" ? 443 : 80) }
}
