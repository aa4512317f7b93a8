import Crypto
import Foundation

/// Creating a QR-code challenge and reading where it stands: the one implementation behind the Client API
/// (`client/challenge/qr-code`, `client/verify/qr-code`) and the hosted page (`ui/qr-code`, `ui/qr-wait`).
struct QRChallenges: Sendable {
    let services: ServerServices

    /// Where a QR-code challenge stands, as the browser sees it.
    enum Progress: Sendable {
        case waiting(QRChallengeRecord)
        case expired(QRChallengeRecord)
        case rejected(QRChallengeRecord)
        /// A token for the settled action, which `validate` accepts.
        case approved(QRChallengeRecord, token: String, action: ActionRecord)
    }

    /// A challenge for `actionCode`: of the token's action when there is a token (which must be the
    /// action's and `CHALLENGE_REQUIRED`), else for whoever claims it.
    func create(actionCode: String, custom: JSONValue?, claims: AccessTokenClaims?, userAgent: String?, at now: Date)
        async throws -> QRChallengeRecord
    {
        var action: ActionRecord?
        if let claims {
            guard actionCode.isSameIdentifier(as: claims.other.actionCode) else {
                throw APIError.invalidRequest("action does not match the token's action")
            }
            action = try await services.repository.action(idempotencyKey: claims.other.idempotencyKey)
            guard let action else { throw APIError.notFound("the token's action does not exist") }
            guard action.state == .challengeRequired else {
                throw APIError.invalidRequest("the action is \(action.state.rawValue), not CHALLENGE_REQUIRED")
            }
        }
        let challenge = QRChallengeRecord(
            id: UUID().uuidString.lowercased(),
            deviceCode: Self.randomCode(),
            actionCode: actionCode,
            idempotencyKey: action?.idempotencyKey,
            userId: action?.userId,
            custom: custom ?? action?.attributes.custom,
            userAgent: action?.attributes.userAgent ?? userAgent.map { String($0.prefix(512)) },
            createdAt: now,
            expiresAt: now.addingTimeInterval(services.configuration.challengeTTL),
            verificationCode: services.policy(for: actionCode).numberMatching ? String(Int.random(in: 10...99)) : nil
        )
        try await services.repository.insertQRChallenge(challenge)
        services.logger.info("QR-code challenge created", metadata: ["challengeId": "\(challenge.id)"])
        return challenge
    }

    /// The challenge `challengeId`, for the browser that knows its `deviceCode`; anyone else learns nothing.
    func progress(of challengeId: String, deviceCode: String, at now: Date) async throws -> Progress {
        guard let challenge = try await services.repository.qrChallenge(id: challengeId),
            Self.constantTimeEqual(challenge.deviceCode, deviceCode)
        else { throw APIError.notFound("no QR-code challenge with this challengeId and deviceCode") }
        switch challenge.status {
        case .pending, .claimed:
            return challenge.expiresAt <= now ? .expired(challenge) : .waiting(challenge)
        case .rejected, .failed:
            return .rejected(challenge)
        case .approved:
            guard let key = challenge.idempotencyKey,
                let action = try await services.repository.action(idempotencyKey: key)
            else { throw APIError.notFound("the challenge's action does not exist") }
            return .approved(challenge, token: services.tokens.token(for: action, scope: nil, at: now), action: action)
        }
    }

    /// A secret only the creating browser knows: 32 random bytes, hex.
    private static func randomCode() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
    }

    private static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        Data(SHA256.hash(data: Data(lhs.utf8))) == Data(SHA256.hash(data: Data(rhs.utf8)))
    }
}
