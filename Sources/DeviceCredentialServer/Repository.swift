import Foundation

/// Storage of tracked actions.
public protocol ActionRepository: Sendable {
    /// Stores `action` unless one with its idempotency key exists; returns the stored one.
    func insertActionIfAbsent(_ action: ActionRecord) async throws -> ActionRecord
    func action(idempotencyKey: String) async throws -> ActionRecord?
    func updateAction(_ action: ActionRecord) async throws
}

/// Storage of push credentials.
public protocol AuthenticatorRepository: Sendable {
    /// Stores `authenticator` unless its public key is registered; returns the stored one.
    func insertAuthenticatorIfKeyAbsent(_ authenticator: AuthenticatorRecord) async throws -> AuthenticatorRecord
    func authenticator(id: String) async throws -> AuthenticatorRecord?
    func authenticator(publicKey: String) async throws -> AuthenticatorRecord?
    /// The user's credentials, oldest first.
    func authenticators(userId: String) async throws -> [AuthenticatorRecord]
    func updateAuthenticator(_ authenticator: AuthenticatorRecord) async throws
    /// Returns false when there was nothing to delete.
    func deleteAuthenticator(id: String) async throws -> Bool
}

/// Storage of push challenges.
public protocol ChallengeRepository: Sendable {
    func insertChallenge(_ challenge: ChallengeRecord) async throws
    func challenge(id: String) async throws -> ChallengeRecord?
    /// The user's challenges still `pending` (expired ones included), newest first.
    func pendingChallenges(userId: String) async throws -> [ChallengeRecord]
    /// Moves a pending challenge to `status` atomically; nil when it was not pending any more.
    func answerChallenge(id: String, status: ChallengeStatus, by authenticatorId: String, at date: Date)
        async throws -> ChallengeRecord?
}

/// Everything the server stores. Implemented in memory and in SQLite with the same behaviour.
public protocol Repository: ActionRepository, AuthenticatorRepository, ChallengeRepository {}
