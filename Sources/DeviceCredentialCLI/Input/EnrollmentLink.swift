import DeviceCredential
package import FoundationEssentials

/// A one-click enrollment link, `devicecred:enroll?api=URL&tenant=ID&token=JWT[&profile=NAME]`, as a web
/// page hands it to `devicecred open`. Anyone can write such a link, so it is read strictly and everything
/// it may not decide is refused, each with its own code: another verb, an unknown, repeated or missing key,
/// bad percent-encoding, an API URL that is not https (plain http only to this machine) or hides its host,
/// a token that is not a JWT with an expiry and a user, or one already expired. The key store, device name
/// and the like are not the page's to choose.
package struct EnrollmentLink: CustomStringConvertible {
    /// The API base URL, as given (`https://api.authsignal.com/v1`).
    let apiURL: String
    /// Its host, and port when one is given: who asks, as the person is shown it.
    let apiHost: String
    let tenantID: String
    let token: String
    /// The profile to create; `default` unless the link names one.
    let profile: String
    /// What the token says about itself (its user and expiry), for the person to check.
    let claims: TokenClaims

    static let scheme = "devicecred"
    static let requiredKeys = ["api", "tenant", "token"]
    static let optionalKeys = ["profile"]
    /// A link carries a token of at most ``EnrollmentToken/maximumLength`` and a few short values.
    static let maximumLength = EnrollmentToken.maximumLength + 4096

    /// Reads `text`; `now` decides whether the token has expired.
    package init(_ text: String, now: Date) throws {
        let query = try Self.query(of: text)
        var values: [String: String] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            guard let equals = pair.firstIndex(of: "=") else {
                throw Self.refused("malformed_link", "the link has a part without '=' (key=value expected)")
            }
            let key = String(pair[..<equals])
            guard Self.requiredKeys.contains(key) || Self.optionalKeys.contains(key) else {
                throw Self.refused(
                    "unknown_key",
                    "the link has an unknown key '\(DisplayText.terminal(key, limit: 40))' (known: "
                        + (Self.requiredKeys + Self.optionalKeys).joined(separator: ", ") + ")")
            }
            guard values[key] == nil else {
                throw Self.refused("repeated_key", "the link gives '\(key)' more than once")
            }
            values[key] = try Self.percentDecoded(pair[pair.index(after: equals)...], key: key)
        }
        for key in Self.requiredKeys where values[key, default: ""].isEmpty {
            throw Self.refused("missing_key", "the link has no \(key)=... (it needs api, tenant and token)")
        }
        let (apiURL, apiHost) = try Self.checkedAPIURL(values["api"]!)
        let tenantID = try Self.checkedTenant(values["tenant"]!)
        let token = values["token"]!
        let claims = try Self.checkedClaims(of: token, tenantID: tenantID, now: now)
        let profile = values["profile"] ?? DeviceProfile.defaultName
        do {
            try DeviceProfile.validate(name: profile)
        } catch let error as DeviceCredentialError {
            throw Self.refused("invalid_profile_name", "the link's profile name is not usable: \(error.message)")
        }
        self.apiURL = apiURL
        self.apiHost = apiHost
        self.tenantID = tenantID
        self.token = token
        self.profile = profile
        self.claims = claims
    }

    /// Never the token.
    package var description: String {
        "EnrollmentLink(api: \(apiURL), tenant: \(tenantID), user: \(claims.userID), profile: \(profile))"
    }

    /// The part after `devicecred:enroll?`.
    private static func query(of text: String) throws -> Substring {
        guard text.utf8.count <= maximumLength else {
            throw refused("malformed_link", "the link is longer than \(maximumLength) bytes")
        }
        guard let colon = text.firstIndex(of: ":"), text[..<colon].lowercased() == scheme else {
            throw refused("not_a_link", "not a devicecred: link (it starts devicecred:enroll?)")
        }
        let rest = text[text.index(after: colon)...]
        guard !rest.contains("#") else {
            throw refused("malformed_link", "the link has a '#' fragment, which devicecred: links do not use")
        }
        guard let question = rest.firstIndex(of: "?") else {
            throw refused("malformed_link", "the link has no '?' and so no api, tenant or token")
        }
        let action = rest[..<question]
        guard action == "enroll" else {
            throw refused(
                "unknown_action",
                "devicecred: links can only enroll (devicecred:enroll?...), not "
                    + "'\(DisplayText.terminal(String(action), limit: 40))'")
        }
        return rest[rest.index(after: question)...]
    }

    /// RFC 3986 percent-decoding (`+` is a plus); the result must be UTF-8 without control characters.
    private static func percentDecoded(_ text: Substring, key: String) throws -> String {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw refused("bad_percent_encoding", "the link's \(key) has a '%' not followed by two hex digits")
            }
            bytes.append(high << 4 | low)
        }
        guard let value = String(validating: bytes, as: UTF8.self) else {
            throw refused("bad_percent_encoding", "the link's \(key) is not UTF-8 once percent-decoded")
        }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw refused("bad_percent_encoding", "the link's \(key) contains control characters")
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// https, or plain http to this machine; no user part (`https://real.example@elsewhere/`), no query or
    /// fragment, and an ASCII host, so a look-alike name shows as the `xn--` form it really is.
    private static func checkedAPIURL(_ text: String) throws -> (url: String, host: String) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty,
            text.lowercased().hasPrefix(scheme + "://")
        else {
            throw refused("invalid_api_url", "the link's api is not an absolute URL (https://host/v1)")
        }
        guard url.user == nil, url.password == nil, url.query == nil, url.fragment == nil else {
            throw refused(
                "invalid_api_url", "the link's api may not have a user part, a query or a fragment (https://host/v1)")
        }
        let hostCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]".unicodeScalars)
        guard text.unicodeScalars.allSatisfy(\.isASCII), host.unicodeScalars.allSatisfy(hostCharacters.contains)
        else {
            throw refused(
                "invalid_api_url",
                "the link's api is not plain ASCII or its host has odd characters: internationalised names go in "
                    + "their xn-- form")
        }
        switch scheme {
        case "https": break
        case "http" where isLoopback(host): break
        case "http":
            throw refused(
                "insecure_api_url", "the link's api uses plain http to another machine; only https is accepted there")
        default:
            throw refused("invalid_api_url", "the link's api must be an https URL")
        }
        let shownHost = host.contains(":") && !host.hasPrefix("[") ? "[\(host.lowercased())]" : host.lowercased()
        return (text, url.port.map { "\(shownHost):\($0)" } ?? shownHost)
    }

    /// This machine by name or address (the library's rule, which `enroll --api-url` follows too).
    static func isLoopback(_ host: String) -> Bool {
        APIURL.isLoopback(host)
    }

    private static func checkedTenant(_ tenant: String) throws -> String {
        guard tenant.utf8.count <= 200, !tenant.unicodeScalars.contains(where: \.properties.isWhitespace) else {
            throw refused("invalid_tenant", "the link's tenant is not a tenant id (one word, at most 200 bytes)")
        }
        return tenant
    }

    private static func checkedClaims(of token: String, tenantID: String, now: Date) throws -> TokenClaims {
        guard token.utf8.count <= EnrollmentToken.maximumLength, let claims = TokenClaims(token: token) else {
            throw refused(
                "malformed_token",
                "the link's token is not an enrollment token (a JWT from track with an expiry and a user)")
        }
        if let claimed = claims.tenantID, claimed != tenantID {
            throw refused(
                "tenant_mismatch",
                "the link's token is for tenant \(DisplayText.terminal(claimed, limit: 80)), "
                    + "not the link's tenant \(DisplayText.terminal(tenantID, limit: 80))")
        }
        guard claims.expiry > now else {
            throw CommandFailure(
                code: "expired_token",
                message: "the link's enrollment token expired \(TimeFormatting.relative(claims.expiry, now: now)) "
                    + "(tokens from track last 10 minutes); reload the page for a new link; nothing was enrolled",
                status: .tokenRejected)
        }
        return claims
    }

    private static func refused(_ code: String, _ message: String) -> CommandFailure {
        CommandFailure(code: code, message: message + "; nothing was enrolled", status: .linkRefused)
    }
}
