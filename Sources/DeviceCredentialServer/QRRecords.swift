public import Foundation

/// Where a QR-code challenge stands. `pending` becomes `claimed` once; `claimed` becomes one of the
/// answers once.
public enum QRChallengeStatus: String, Sendable, Codable {
    case pending
    case claimed
    case approved
    case rejected
    /// Approved with a wrong or missing verification code.
    case failed
}

/// A challenge a browser shows as a QR code (PROTOCOL.md section 6), created in REST polling mode.
public struct QRChallengeRecord: Sendable, Hashable, Codable {
    public var id: String
    /// The secret the creating browser polls with; nobody else learns whether it was approved.
    public var deviceCode: String
    public var actionCode: String
    /// The tracked action when the browser created it with a track token; otherwise set when it is
    /// answered (an action created for the claiming credential's user).
    public var idempotencyKey: String?
    /// The token's user, or the claiming credential's user once claimed.
    public var userId: String?
    public var custom: JSONValue?
    /// The creating browser's User-Agent header, shown to the device that claims it.
    public var userAgent: String?
    public var createdAt: Date
    public var expiresAt: Date
    public var verificationCode: String?
    public var status: QRChallengeStatus
    public var claimedBy: String?
    public var answeredAt: Date?

    public init(
        id: String,
        deviceCode: String,
        actionCode: String,
        idempotencyKey: String? = nil,
        userId: String? = nil,
        custom: JSONValue? = nil,
        userAgent: String? = nil,
        createdAt: Date,
        expiresAt: Date,
        verificationCode: String? = nil,
        status: QRChallengeStatus = .pending,
        claimedBy: String? = nil,
        answeredAt: Date? = nil
    ) {
        self.id = id
        self.deviceCode = deviceCode
        self.actionCode = actionCode
        self.idempotencyKey = idempotencyKey
        self.userId = userId
        self.custom = custom
        self.userAgent = userAgent
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.verificationCode = verificationCode
        self.status = status
        self.claimedBy = claimedBy
        self.answeredAt = answeredAt
    }
}

/// What `claimQRChallenge` did.
public enum QRClaim: Sendable, Equatable {
    /// Claimed now, or already claimed by the same credential (claiming again is harmless).
    case claimed(QRChallengeRecord)
    case notFound
    case expired
    /// Claimed by another credential, or answered.
    case unavailable(QRChallengeStatus)
}

/// What `settleQRChallenge` did.
public enum QRSettlement: Sendable, Equatable {
    /// The challenge, its action (created when the browser had no token) and, on approval, the
    /// authenticator changed together.
    case settled(QRChallengeRecord, ActionRecord)
    case notFound
    /// Not claimed by this credential: only the claimant may answer.
    case notClaimedByAuthenticator
    case notClaimed(QRChallengeStatus)
    case expired
    case actionSettled(ActionState)
}

/// Storage of QR-code challenges.
public protocol QRChallengeRepository: Sendable {
    func insertQRChallenge(_ challenge: QRChallengeRecord) async throws
    func qrChallenge(id: String) async throws -> QRChallengeRecord?
    /// Claims a pending, unexpired challenge for `authenticator` (of its user, when the challenge has one)
    /// in one step, so two devices cannot both claim it.
    func claimQRChallenge(id: String, by authenticator: AuthenticatorRecord, at date: Date) async throws -> QRClaim
    /// The claimant's answer, in one transaction: the claimed, unexpired challenge takes `status`; its
    /// action (the tracked one, which must still be `CHALLENGE_REQUIRED`, or else a new one with
    /// `newActionKey` for the claimant's user) becomes `CHALLENGE_SUCCEEDED` with `verificationMethod`
    /// `QR_CODE` on approval or `CHALLENGE_FAILED` otherwise; on approval the authenticator's
    /// `lastVerifiedAt` becomes `date`.
    func settleQRChallenge(
        id: String, status: QRChallengeStatus, by authenticatorId: String, newActionKey: String, at date: Date
    ) async throws -> QRSettlement
}

/// The rules of claiming and settling, shared by both stores so they decide alike.
enum QRChallengeRules {
    static func claimRefusal(_ challenge: QRChallengeRecord, by authenticator: AuthenticatorRecord, at date: Date)
        -> QRClaim?
    {
        if let userId = challenge.userId, !userId.isSameIdentifier(as: authenticator.userId) { return .notFound }
        if challenge.status == .claimed, challenge.claimedBy.isSameIdentifier(as: authenticator.id) {
            return challenge.expiresAt > date ? .claimed(challenge) : .expired
        }
        guard challenge.status == .pending else { return .unavailable(challenge.status) }
        guard challenge.expiresAt > date else { return .expired }
        return nil
    }

    static func claim(_ challenge: inout QRChallengeRecord, by authenticator: AuthenticatorRecord) {
        challenge.status = .claimed
        challenge.claimedBy = authenticator.id
        challenge.userId = authenticator.userId
    }

    static func settleRefusal(
        _ challenge: QRChallengeRecord, _ action: ActionRecord?, by authenticatorId: String, at date: Date
    ) -> QRSettlement? {
        guard challenge.status == .claimed else { return .notClaimed(challenge.status) }
        guard challenge.claimedBy.isSameIdentifier(as: authenticatorId) else { return .notClaimedByAuthenticator }
        guard challenge.expiresAt > date else { return .expired }
        if challenge.idempotencyKey != nil {
            guard let action else { return .notFound }
            guard action.state == .challengeRequired else { return .actionSettled(action.state) }
        }
        return nil
    }

    /// The action a challenge without a tracked one settles: new, for the claimant's user.
    static func newAction(for challenge: QRChallengeRecord, key: String, at date: Date) -> ActionRecord {
        ActionRecord(
            idempotencyKey: key, userId: challenge.userId ?? "", actionCode: challenge.actionCode,
            state: .challengeRequired, createdAt: date, stateUpdatedAt: date,
            attributes: TrackedAttributes(userAgent: challenge.userAgent, custom: challenge.custom))
    }

    static func apply(
        _ status: QRChallengeStatus, at date: Date, to challenge: inout QRChallengeRecord, _ action: inout ActionRecord,
        _ authenticator: inout AuthenticatorRecord?
    ) {
        challenge.status = status
        challenge.answeredAt = date
        challenge.idempotencyKey = action.idempotencyKey
        action.state = status == .approved ? .challengeSucceeded : .challengeFailed
        action.stateUpdatedAt = date
        if status == .approved {
            action.verificationMethod = VerificationMethod.qrCode.rawValue
            authenticator?.markVerified(at: date)
        }
    }
}
