/// The QR-code and in-app bodies (PROTOCOL.md section 6).
extension Wire {
    /// A claim of a QR-code challenge, or an in-app verification: the challenge id signed.
    struct SignedChallengeRequest: Encodable {
        var challengeId: String
        var publicKey: String
        var signature: String
    }

    struct ClaimedChallenge: Decodable {
        struct User: Decodable { var custom: JSONValue? }
        var success: Bool?
        var ipAddress: String?
        var userAgent: String?
        var actionCode: String?
        var idempotencyKey: String?
        var custom: JSONValue?
        var user: User?
    }

    /// `{action}` or `{}`: an absent action is left out, not sent as null.
    struct InAppChallengeRequest: Encodable {
        var action: String?
    }

    struct InAppChallenge: Decodable {
        var challengeId: String
    }

    struct InAppVerified: Decodable {
        var token: String
        var userId: String
        var userAuthenticatorId: String
        var username: String?
    }
}
