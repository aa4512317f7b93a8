public import Foundation

// Every store compares identifiers as UTF-8 bytes (see `Identifier`), never by Unicode equivalence.

/// What `verifyAction` did.
public enum ActionVerification: Sendable, Equatable {
    /// The action and the authenticator changed, together.
    case verified(ActionRecord)
    case actionNotFound
    /// The action had left `CHALLENGE_REQUIRED` (a push answered, or the backend set its state): nothing
    /// changed.
    case actionSettled(ActionState)
}

/// Storage of tracked actions.
public protocol ActionRepository: Sendable {
    /// Stores `action` unless one with its idempotency key exists; returns the stored one.
    func insertActionIfAbsent(_ action: ActionRecord) async throws -> ActionRecord
    func action(idempotencyKey: String) async throws -> ActionRecord?
    func updateAction(_ action: ActionRecord) async throws
    /// A verification without a push challenge (in-app, with the track token), in one transaction: the
    /// action, which must still be `CHALLENGE_REQUIRED`, becomes `CHALLENGE_SUCCEEDED` with `method`, and
    /// the authenticator's `lastVerifiedAt` becomes `date`. So it cannot overwrite a push answered meanwhile.
    func verifyAction(idempotencyKey: String, method: VerificationMethod, by authenticatorId: String, at date: Date)
        async throws -> ActionVerification
}

/// What `insertAuthenticator` did.
public enum AuthenticatorInsertion: Sendable, Equatable {
    case inserted(AuthenticatorRecord)
    /// The public key was already registered (to this user or another): that record, nothing changed.
    case keyRegistered(AuthenticatorRecord)
    /// `onlyAsFirst` was set and the user already has a credential: nothing changed.
    case userHasAuthenticator
}

/// Storage of device credentials (push, QR-code, in-app).
public protocol AuthenticatorRepository: Sendable {
    /// Stores `authenticator` unless its public key is registered or, with `onlyAsFirst`, unless its user
    /// already has a credential. The checks and the insert are one step, so parallel calls cannot all pass.
    func insertAuthenticator(_ authenticator: AuthenticatorRecord, onlyAsFirst: Bool) async throws
        -> AuthenticatorInsertion
    func authenticator(id: String) async throws -> AuthenticatorRecord?
    func authenticator(publicKey: String) async throws -> AuthenticatorRecord?
    /// The user's credentials, oldest first.
    func authenticators(userId: String) async throws -> [AuthenticatorRecord]
    func updateAuthenticator(_ authenticator: AuthenticatorRecord) async throws
    /// Changes the credential `id` in one step: `change` gets the stored record, and what it makes of it is
    /// written, so nothing written meanwhile (an approval's `lastVerifiedAt`) is undone. `change` must keep
    /// the id, user and public key. Nil when there is no such credential (deleted meanwhile).
    func modifyAuthenticator(id: String, _ change: @escaping @Sendable (inout AuthenticatorRecord) -> Void)
        async throws -> AuthenticatorRecord?
    /// Deletes the credential and its nonces together; returns false when there was nothing to delete.
    func deleteAuthenticator(id: String) async throws -> Bool
}

/// What `settleChallenge` did.
public enum ChallengeSettlement: Sendable, Equatable {
    /// The challenge, its action and (on approval) the authenticator changed, together.
    case settled(ChallengeRecord, ActionRecord)
    case challengeNotFound
    /// Answered, superseded or withdrawn before: nothing changed.
    case challengeNotPending(ChallengeStatus)
    /// Past `expiresAt`: nothing changed, the action still needs a push.
    case challengeExpired
    /// The action left `CHALLENGE_REQUIRED` (another answer, or the backend set its state), which is final
    /// for device answers: nothing changed.
    case actionSettled(ActionState)
}

/// Storage of push challenges.
public protocol ChallengeRepository: Sendable {
    /// Stores a new pending challenge and, in the same step, supersedes the pending challenges of the same
    /// action (same idempotency key): a new push replaces the earlier ones.
    func insertChallenge(_ challenge: ChallengeRecord) async throws
    func challenge(id: String) async throws -> ChallengeRecord?
    /// The user's challenges still `pending` (expired ones included), newest first.
    func pendingChallenges(userId: String) async throws -> [ChallengeRecord]
    /// Moves a pending challenge to `status` atomically, without touching its action (a challenge withdrawn
    /// because the webhook refused it); nil when it was not pending any more.
    func answerChallenge(id: String, status: ChallengeStatus, by authenticatorId: String, at date: Date)
        async throws -> ChallengeRecord?
    /// A device's answer, in one transaction: the pending, unexpired challenge takes `status`, its action
    /// (which must still be `CHALLENGE_REQUIRED`) becomes `CHALLENGE_SUCCEEDED` with `verificationMethod`
    /// `PUSH` on `.approved` or `CHALLENGE_FAILED` otherwise, and on approval the authenticator's
    /// `lastVerifiedAt` becomes `date`. Anything else changes nothing and says why.
    func settleChallenge(id: String, status: ChallengeStatus, by authenticatorId: String, at date: Date)
        async throws -> ChallengeSettlement
}

/// Everything the server stores. Implemented in memory and in SQLite with the same behaviour.
public protocol Repository: ActionRepository, AuthenticatorRepository, ChallengeRepository, QRChallengeRepository,
    OneTimeSecretRepository
{}

/// The rules of `settleChallenge`, shared by both stores so they decide alike.
enum ChallengeSettling {
    /// Why `challenge` of `action` cannot be settled at `date`, or nil when it can.
    static func refusal(_ challenge: ChallengeRecord, _ action: ActionRecord?, at date: Date) -> ChallengeSettlement? {
        guard challenge.status == .pending else { return .challengeNotPending(challenge.status) }
        guard challenge.expiresAt > date else { return .challengeExpired }
        guard let action else { return .challengeNotFound }
        guard action.state == .challengeRequired else { return .actionSettled(action.state) }
        return nil
    }

    /// The three records after the answer.
    static func apply(
        _ status: ChallengeStatus, by authenticatorId: String, at date: Date,
        to challenge: inout ChallengeRecord, _ action: inout ActionRecord, _ authenticator: inout AuthenticatorRecord?
    ) {
        challenge.status = status
        challenge.answeredAt = date
        challenge.answeredBy = authenticatorId
        action.state = status == .approved ? .challengeSucceeded : .challengeFailed
        action.stateUpdatedAt = date
        if status == .approved {
            action.verificationMethod = "PUSH"
            authenticator?.markVerified(at: date)
        }
    }
}

extension AuthenticatorRecord {
    /// Verified at `date`: `lastVerifiedAt` never moves back, whichever of two verifications is written last.
    mutating func markVerified(at date: Date) { lastVerifiedAt = max(lastVerifiedAt ?? date, date) }
}
