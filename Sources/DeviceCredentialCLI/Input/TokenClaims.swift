import FoundationEssentials

/// What an enrollment token (a JWT from `track`) says about itself: when it expires, whose it is and for
/// which tenant. Read without checking the signature (only the server has the key), so it is a claim to
/// show and to check for plain mistakes, never a proof: the server decides.
package struct TokenClaims: Equatable {
    /// `exp`.
    var expiry: Date
    /// `sub`, else `other.userId`.
    var userID: String
    /// `other.tenantId`, when the token has one.
    var tenantID: String?

    /// The claims of `token`; nil when it is not a JWT whose payload has a usable `exp` and a user.
    package init?(token: String) {
        guard let payload = Self.payload(of: token),
            let claims = try? JSONDecoder().decode(Claims.self, from: payload),
            let expiry = Self.date(claims.exp),
            let userID = [claims.sub, claims.other?.userId].compactMap({ $0 }).first(where: { !$0.isEmpty })
        else { return nil }
        self.expiry = expiry
        self.userID = userID
        self.tenantID = claims.other?.tenantId
    }

    /// The `exp` claim alone (for a message about a token the server called expired).
    static func expiry(of token: String) -> Date? {
        guard let payload = payload(of: token), let claims = try? JSONDecoder().decode(Expiry.self, from: payload)
        else { return nil }
        return date(claims.exp)
    }

    /// The decoded middle part of `header.payload.signature`, when all three are base64url.
    private static func payload(of token: String) -> Data? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isBase64URL) }) else {
            return nil
        }
        var payload = String(parts[1]).replacing("-", with: "+").replacing("_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        return Data(base64Encoded: payload)
    }

    /// Seconds since 1970 as a date, only from 1970 to the year 9999: anything else says nothing (and 1e300
    /// must not trap a conversion).
    private static func date(_ seconds: Double?) -> Date? {
        guard let seconds, seconds.isFinite, (0...253_402_300_799).contains(seconds) else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }

    private static func isBase64URL(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "=")
    }

    private struct Expiry: Decodable {
        var exp: Double?
    }

    private struct Claims: Decodable {
        struct Other: Decodable {
            var userId: String?
            var tenantId: String?
        }
        var exp: Double?
        var sub: String?
        var other: Other?
    }
}
