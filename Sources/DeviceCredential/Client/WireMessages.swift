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
        var expiresAt: Double?
        var custom: JSONValue?
        var user: User?

        var value: AppChallenge? {
            guard let challengeId else { return nil }
            return AppChallenge(
                challengeId: challengeId, userAuthenticatorId: userAuthenticatorId, userId: userId,
                actionCode: actionCode, idempotencyKey: idempotencyKey, deviceId: deviceId, userAgent: userAgent,
                ipAddress: ipAddress, expiresAt: expiresAt.map(Wire.unixDate), custom: custom, userCustom: user?.custom)
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

    /// An ISO-8601 timestamp, with or without fractional seconds; nil when it is neither.
    static func date(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }

    /// Unix seconds, or milliseconds when above 10^12 (as the contract says for challenges).
    static func unixDate(_ value: Double) -> Date {
        Date(timeIntervalSince1970: value > 1e12 ? value / 1000 : value)
    }
}
