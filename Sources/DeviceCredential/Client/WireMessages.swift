import FoundationEssentials

/// The protocol's JSON bodies (PROTOCOL.md section 3), as sent and received. Every field the
/// contract does not list as required is optional; unknown keys are ignored.
enum Wire {
    struct AddCredentialRequest: Encodable {
        var publicKey: String
        var deviceName: String
        var devicePlatform: String
    }

    struct RemoveCredentialRequest: Encodable {
        var publicKey: String
        var signature: String
    }

    struct UpdateChallengeRequest: Encodable {
        var challengeId: String
        var publicKey: String
        var approved: Bool
        var signature: String
        var verificationCode: String?
    }

    struct UpdateCredentialRequest: Encodable {
        var challengeId: String
        var publicKey: String
        var signature: String
        var resetExpiry: Bool?
    }

    struct Credential: Decodable {
        var userAuthenticatorId: String
        var userId: String
        var verifiedAt: String?
        var lastVerifiedAt: String?
        var expiresAt: String?

        var value: AppCredential {
            AppCredential(
                userAuthenticatorId: userAuthenticatorId, userId: userId, verifiedAt: verifiedAt.flatMap(Wire.date),
                lastVerifiedAt: lastVerifiedAt.flatMap(Wire.date), expiresAt: expiresAt.flatMap(Wire.date))
        }
    }

    struct RemovedCredential: Decodable {
        var removedAuthenticatorId: String?
    }

    struct Nonce: Decodable {
        var message: String
    }

    struct UpdateNonce: Decodable {
        var challengeId: String
        var message: String
    }

    struct Challenge: Decodable {
        struct User: Decodable { var custom: JSONValue? }
        var userAuthenticatorId: String
        var challengeId: String?
        var userId: String?
        var actionCode: String?
        var idempotencyKey: String?
        var deviceId: String?
        var userAgent: String?
        var ipAddress: String?
        var expiresAt: LenientNumber?
        var custom: JSONValue?
        var user: User?

        var value: AppChallenge? {
            guard let challengeId else { return nil }
            return AppChallenge(
                challengeId: challengeId, userAuthenticatorId: userAuthenticatorId, userId: userId,
                actionCode: actionCode, idempotencyKey: idempotencyKey, deviceId: deviceId, userAgent: userAgent,
                ipAddress: ipAddress, expiresAt: expiresAt?.value.flatMap(Wire.unixDate), custom: custom,
                userCustom: user?.custom)
        }
    }

    struct ChallengeVerdict: Decodable {
        var isVerified: Bool?
    }

    struct ErrorBody: Decodable {
        var error: String?
        var errorCode: String?
        var errorDescription: String?
    }

    /// A number that may be absent, a string, or too large for a Double: any of those is nil (unknown)
    /// instead of failing the whole answer, so a challenge with a garbled expiry can still be shown.
    struct LenientNumber: Decodable {
        var value: Double?

        init(from decoder: any Decoder) throws {
            value = try? decoder.singleValueContainer().decode(Double.self)
        }
    }

    /// The times a server may plausibly name: from 1970 to the end of year 9999. Outside it (1e300, a
    /// negative number) a time is unknown: formatting or subtracting it could trap.
    static let plausibleUnixSeconds: ClosedRange<Double> = 0...253_402_300_799

    /// An ISO-8601 timestamp, with or without fractional seconds; nil when it is neither or not plausible.
    static func date(_ text: String) -> Date? {
        let date =
            (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
            ?? (try? Date.ISO8601FormatStyle().parse(text))
        guard let date, plausibleUnixSeconds.contains(date.timeIntervalSince1970) else { return nil }
        return date
    }

    /// Unix seconds, or milliseconds when above 10^12 (as the contract says for challenges); nil (unknown)
    /// when not finite or not plausible.
    static func unixDate(_ value: Double) -> Date? {
        guard value.isFinite else { return nil }
        let seconds = value > 1e12 ? value / 1000 : value
        guard plausibleUnixSeconds.contains(seconds) else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }
}
