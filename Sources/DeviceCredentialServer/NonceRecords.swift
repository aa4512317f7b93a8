public import Foundation

/// A single-use message a device signs to prove it holds its key (`.../challenge/sign`, `.../sign`).
public struct NonceRecord: Sendable, Hashable {
    public var message: String
    public var authenticatorId: String
    /// What it may be used for: `getChallenge`, or `updateCredential:<challengeId>`.
    public var purpose: String
    public var expiresAt: Date

    public init(message: String, authenticatorId: String, purpose: String, expiresAt: Date) {
        self.message = message
        self.authenticatorId = authenticatorId
        self.purpose = purpose
        self.expiresAt = expiresAt
    }
}

/// A single-use in-app challenge id handed out by `client/challenge`, for whichever credential signs it.
public struct InAppChallengeRecord: Sendable, Hashable {
    public var id: String
    /// The action code the challenge names, if any.
    public var action: String?
    public var expiresAt: Date

    public init(id: String, action: String?, expiresAt: Date) {
        self.id = id
        self.action = action
        self.expiresAt = expiresAt
    }
}

/// Storage of the short-lived, single-use secrets the server hands out: a client that holds one may use
/// it after a restart on the same database. Expired ones are never returned and are dropped as new ones
/// come in.
public protocol OneTimeSecretRepository: Sendable {
    /// Stores `nonce`, drops every expired nonce, and keeps at most `limit` live nonces for its credential
    /// (the oldest go first), in one step.
    func insertNonce(_ nonce: NonceRecord, keepingAtMost limit: Int, at now: Date) async throws
    /// Removes the credential's oldest live nonce for `purpose` whose message `isSigned` accepts, in one
    /// step (two callers never both get the same nonce); false when there is none.
    func consumeNonce(
        authenticatorId: String, purpose: String, at now: Date, where isSigned: @Sendable (String) -> Bool
    ) async throws -> Bool
    /// Stores `challenge`, drops the expired ones, and keeps at most `limit` live (the oldest go first).
    func insertInAppChallenge(_ challenge: InAppChallengeRecord, keepingAtMost limit: Int, at now: Date)
        async throws
    /// Removes the in-app challenge `id` and returns it while it is live; nil when unknown, used or expired.
    func consumeInAppChallenge(id: String, at now: Date) async throws -> InAppChallengeRecord?
}
