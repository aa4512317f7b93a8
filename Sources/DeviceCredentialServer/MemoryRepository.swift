public import Foundation

/// The default store: lives as long as the process. Keys are `Identifier`s (UTF-8 bytes), as in SQLite.
public actor MemoryRepository: Repository {
    private var actions: [Identifier: ActionRecord] = [:]
    private var authenticatorsByID: [Identifier: AuthenticatorRecord] = [:]
    /// Insertion order, so listings are stable like SQLite's rowid order.
    private var authenticatorOrder: [Identifier] = []
    private var challenges: [Identifier: ChallengeRecord] = [:]
    private var challengeOrder: [Identifier] = []
    private var qrChallenges: [Identifier: QRChallengeRecord] = [:]
    /// Per credential, oldest first.
    private var nonces: [Identifier: [NonceRecord]] = [:]
    private var inAppChallenges: [Identifier: InAppChallengeRecord] = [:]
    private var inAppOrder: [Identifier] = []

    public init() {}

    public func insertActionIfAbsent(_ action: ActionRecord) -> ActionRecord {
        let key = Identifier(action.idempotencyKey)
        if let existing = actions[key] { return existing }
        actions[key] = action
        return action
    }

    public func action(idempotencyKey: String) -> ActionRecord? { actions[Identifier(idempotencyKey)] }

    public func updateAction(_ action: ActionRecord) {
        let key = Identifier(action.idempotencyKey)
        guard actions[key] != nil else { return }
        actions[key] = action
    }

    public func verifyAction(
        idempotencyKey: String, method: VerificationMethod, by authenticatorId: String, at date: Date
    ) -> ActionVerification {
        let key = Identifier(idempotencyKey)
        guard var action = actions[key] else { return .actionNotFound }
        guard action.state == .challengeRequired else { return .actionSettled(action.state) }
        action.state = .challengeSucceeded
        action.stateUpdatedAt = date
        action.verificationMethod = method.rawValue
        // No suspension point: the two writes are one step.
        actions[key] = action
        authenticatorsByID[Identifier(authenticatorId)]?.markVerified(at: date)
        return .verified(action)
    }

    public func insertAuthenticator(_ authenticator: AuthenticatorRecord, onlyAsFirst: Bool) -> AuthenticatorInsertion {
        if let existing = self.authenticator(publicKey: authenticator.publicKey) { return .keyRegistered(existing) }
        if onlyAsFirst && !authenticators(userId: authenticator.userId).isEmpty { return .userHasAuthenticator }
        let id = Identifier(authenticator.id)
        authenticatorsByID[id] = authenticator
        authenticatorOrder.append(id)
        return .inserted(authenticator)
    }

    public func authenticator(id: String) -> AuthenticatorRecord? { authenticatorsByID[Identifier(id)] }

    public func authenticator(publicKey: String) -> AuthenticatorRecord? {
        authenticatorsByID.values.first { $0.publicKey.isSameIdentifier(as: publicKey) }
    }

    public func authenticators(userId: String) -> [AuthenticatorRecord] {
        authenticatorOrder.compactMap { authenticatorsByID[$0] }.filter { $0.userId.isSameIdentifier(as: userId) }
    }

    public func updateAuthenticator(_ authenticator: AuthenticatorRecord) {
        let id = Identifier(authenticator.id)
        guard authenticatorsByID[id] != nil else { return }
        authenticatorsByID[id] = authenticator
    }

    public func modifyAuthenticator(id: String, _ change: @escaping @Sendable (inout AuthenticatorRecord) -> Void)
        -> AuthenticatorRecord?
    {
        let id = Identifier(id)
        guard var authenticator = authenticatorsByID[id] else { return nil }
        change(&authenticator)
        authenticatorsByID[id] = authenticator
        return authenticator
    }

    public func deleteAuthenticator(id: String) -> Bool {
        let id = Identifier(id)
        guard authenticatorsByID.removeValue(forKey: id) != nil else { return false }
        authenticatorOrder.removeAll { $0 == id }
        nonces[id] = nil
        return true
    }

    public func insertChallenge(_ challenge: ChallengeRecord) {
        for key in challengeOrder {
            guard var earlier = challenges[key], earlier.status == .pending,
                earlier.idempotencyKey.isSameIdentifier(as: challenge.idempotencyKey)
            else { continue }
            earlier.status = .superseded
            earlier.answeredAt = challenge.createdAt
            challenges[key] = earlier
        }
        let id = Identifier(challenge.id)
        if challenges[id] == nil { challengeOrder.append(id) }
        challenges[id] = challenge
    }

    public func challenge(id: String) -> ChallengeRecord? { challenges[Identifier(id)] }

    public func pendingChallenges(userId: String) -> [ChallengeRecord] {
        challengeOrder.reversed().compactMap { challenges[$0] }
            .filter { $0.userId.isSameIdentifier(as: userId) && $0.status == .pending }
    }

    public func answerChallenge(id: String, status: ChallengeStatus, by authenticatorId: String, at date: Date)
        -> ChallengeRecord?
    {
        let id = Identifier(id)
        guard var challenge = challenges[id], challenge.status == .pending else { return nil }
        challenge.status = status
        challenge.answeredAt = date
        challenge.answeredBy = authenticatorId
        challenges[id] = challenge
        return challenge
    }

    public func settleChallenge(id: String, status: ChallengeStatus, by authenticatorId: String, at date: Date)
        -> ChallengeSettlement
    {
        guard var challenge = challenges[Identifier(id)] else { return .challengeNotFound }
        let stored = actions[Identifier(challenge.idempotencyKey)]
        if let refusal = ChallengeSettling.refusal(challenge, stored, at: date) { return refusal }
        guard var action = stored else { return .challengeNotFound }
        var authenticator = authenticatorsByID[Identifier(authenticatorId)]
        ChallengeSettling.apply(status, by: authenticatorId, at: date, to: &challenge, &action, &authenticator)
        // An actor method without a suspension point: the three writes are one step.
        challenges[Identifier(challenge.id)] = challenge
        actions[Identifier(action.idempotencyKey)] = action
        if let authenticator { authenticatorsByID[Identifier(authenticator.id)] = authenticator }
        return .settled(challenge, action)
    }

    public func insertQRChallenge(_ challenge: QRChallengeRecord) {
        qrChallenges[Identifier(challenge.id)] = challenge
    }

    public func qrChallenge(id: String) -> QRChallengeRecord? { qrChallenges[Identifier(id)] }

    public func claimQRChallenge(id: String, by authenticator: AuthenticatorRecord, at date: Date) -> QRClaim {
        guard var challenge = qrChallenges[Identifier(id)] else { return .notFound }
        if let refusal = QRChallengeRules.claimRefusal(challenge, by: authenticator, at: date) { return refusal }
        QRChallengeRules.claim(&challenge, by: authenticator)
        qrChallenges[Identifier(id)] = challenge
        return .claimed(challenge)
    }

    public func settleQRChallenge(
        id: String, status: QRChallengeStatus, by authenticatorId: String, newActionKey: String, at date: Date
    ) -> QRSettlement {
        guard var challenge = qrChallenges[Identifier(id)] else { return .notFound }
        let tracked = challenge.idempotencyKey.flatMap { actions[Identifier($0)] }
        if let refusal = QRChallengeRules.settleRefusal(challenge, tracked, by: authenticatorId, at: date) {
            return refusal
        }
        var action = tracked ?? QRChallengeRules.newAction(for: challenge, key: newActionKey, at: date)
        var authenticator = authenticatorsByID[Identifier(authenticatorId)]
        QRChallengeRules.apply(status, at: date, to: &challenge, &action, &authenticator)
        // No suspension point: the three writes are one step.
        qrChallenges[Identifier(id)] = challenge
        actions[Identifier(action.idempotencyKey)] = action
        if let authenticator { authenticatorsByID[Identifier(authenticator.id)] = authenticator }
        return .settled(challenge, action)
    }

    public func insertNonce(_ nonce: NonceRecord, keepingAtMost limit: Int, at now: Date) {
        nonces = nonces.compactMapValues {
            let live = $0.filter { $0.expiresAt > now }
            return live.isEmpty ? nil : live
        }
        let id = Identifier(nonce.authenticatorId)
        nonces[id] = Array((nonces[id, default: []] + [nonce]).suffix(limit))
    }

    public func consumeNonce(
        authenticatorId: String, purpose: String, at now: Date, where isSigned: @Sendable (String) -> Bool
    ) -> Bool {
        let id = Identifier(authenticatorId)
        guard
            let index = nonces[id, default: []].firstIndex(where: {
                $0.expiresAt > now && $0.purpose.isSameIdentifier(as: purpose) && isSigned($0.message)
            })
        else { return false }
        nonces[id]?.remove(at: index)
        return true
    }

    public func insertInAppChallenge(_ challenge: InAppChallengeRecord, keepingAtMost limit: Int, at now: Date) {
        // Swept only when full: anyone with the tenant id may ask for challenges, so the sweep must be rare.
        if inAppChallenges.count >= limit {
            inAppChallenges = inAppChallenges.filter { $0.value.expiresAt > now }
            inAppOrder = inAppOrder.filter { inAppChallenges[$0] != nil }
            while inAppChallenges.count >= limit, !inAppOrder.isEmpty {
                inAppChallenges[inAppOrder.removeFirst()] = nil
            }
        }
        let id = Identifier(challenge.id)
        if inAppChallenges[id] == nil { inAppOrder.append(id) }
        inAppChallenges[id] = challenge
    }

    public func consumeInAppChallenge(id: String, at now: Date) -> InAppChallengeRecord? {
        let id = Identifier(id)
        guard let challenge = inAppChallenges.removeValue(forKey: id) else { return nil }
        inAppOrder.removeAll { $0 == id }
        return challenge.expiresAt > now ? challenge : nil
    }
}
