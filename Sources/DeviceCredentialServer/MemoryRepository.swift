import Foundation

/// The default store: lives as long as the process.
public actor MemoryRepository: Repository {
    private var actions: [String: ActionRecord] = [:]
    private var authenticatorsByID: [String: AuthenticatorRecord] = [:]
    /// Insertion order, so listings are stable like SQLite's rowid order.
    private var authenticatorOrder: [String] = []
    private var challenges: [String: ChallengeRecord] = [:]
    private var challengeOrder: [String] = []

    public init() {}

    public func insertActionIfAbsent(_ action: ActionRecord) -> ActionRecord {
        if let existing = actions[action.idempotencyKey] { return existing }
        actions[action.idempotencyKey] = action
        return action
    }

    public func action(idempotencyKey: String) -> ActionRecord? { actions[idempotencyKey] }

    public func updateAction(_ action: ActionRecord) {
        guard actions[action.idempotencyKey] != nil else { return }
        actions[action.idempotencyKey] = action
    }

    public func insertAuthenticatorIfKeyAbsent(_ authenticator: AuthenticatorRecord) -> AuthenticatorRecord {
        if let existing = self.authenticator(publicKey: authenticator.publicKey) { return existing }
        authenticatorsByID[authenticator.id] = authenticator
        authenticatorOrder.append(authenticator.id)
        return authenticator
    }

    public func authenticator(id: String) -> AuthenticatorRecord? { authenticatorsByID[id] }

    public func authenticator(publicKey: String) -> AuthenticatorRecord? {
        authenticatorsByID.values.first { $0.publicKey == publicKey }
    }

    public func authenticators(userId: String) -> [AuthenticatorRecord] {
        authenticatorOrder.compactMap { authenticatorsByID[$0] }.filter { $0.userId == userId }
    }

    public func updateAuthenticator(_ authenticator: AuthenticatorRecord) {
        guard authenticatorsByID[authenticator.id] != nil else { return }
        authenticatorsByID[authenticator.id] = authenticator
    }

    public func deleteAuthenticator(id: String) -> Bool {
        guard authenticatorsByID.removeValue(forKey: id) != nil else { return false }
        authenticatorOrder.removeAll { $0 == id }
        return true
    }

    public func insertChallenge(_ challenge: ChallengeRecord) {
        if challenges[challenge.id] == nil { challengeOrder.append(challenge.id) }
        challenges[challenge.id] = challenge
    }

    public func challenge(id: String) -> ChallengeRecord? { challenges[id] }

    public func pendingChallenges(userId: String) -> [ChallengeRecord] {
        challengeOrder.reversed().compactMap { challenges[$0] }
            .filter { $0.userId == userId && $0.status == .pending }
    }

    public func answerChallenge(id: String, status: ChallengeStatus, by authenticatorId: String, at date: Date)
        -> ChallengeRecord?
    {
        guard var challenge = challenges[id], challenge.status == .pending else { return nil }
        challenge.status = status
        challenge.answeredAt = date
        challenge.answeredBy = authenticatorId
        challenges[id] = challenge
        return challenge
    }
}
