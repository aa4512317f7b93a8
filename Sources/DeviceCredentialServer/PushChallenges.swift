import Foundation

/// Starting a push challenge for a token's action and reading where it stands: the one implementation
/// behind the Client API (`client/challenge/push`, `client/verify/push`) and the hosted page (`ui/...`).
struct PushChallenges: Sendable {
    let services: ServerServices

    /// Where a challenge stands, as the browser sees it.
    enum Progress: Sendable {
        case pending(ChallengeRecord)
        /// Nobody answered before `expiresAt`; the action is still `CHALLENGE_REQUIRED`.
        case expired
        case declined
        /// Approved with a wrong or missing verification code.
        case failed
        /// A newer push for the same action replaced it; that one is the one to wait for.
        case superseded
        /// A new token for the action, which `validate` accepts.
        case approved(accessToken: String, action: ActionRecord)
    }

    /// Creates a challenge for the token's action, which must be `CHALLENGE_REQUIRED` with a push credential
    /// to send it to; `authenticatorId` targets one credential, nil every one of the user's. The action's
    /// earlier pending challenges are superseded: only the newest push can be answered.
    func start(for claims: AccessTokenClaims, authenticatorId: String?, at now: Date) async throws -> ChallengeRecord {
        guard let action = try await services.repository.action(idempotencyKey: claims.other.idempotencyKey) else {
            throw APIError.notFound("the token's action does not exist")
        }
        guard action.state == .challengeRequired else {
            throw APIError.invalidRequest("the action is \(action.state.rawValue), not CHALLENGE_REQUIRED")
        }
        let authenticators = try await services.repository.authenticators(userId: action.userId)
            .filter { $0.verificationMethod == .push }
        if let id = authenticatorId {
            guard authenticators.contains(where: { $0.id.isSameIdentifier(as: id) }) else {
                throw APIError.invalidCredential("the user has no push credential with this userAuthenticatorId")
            }
        } else if authenticators.isEmpty {
            throw APIError.invalidRequest("the user has no push credential")
        }
        let numberMatching = services.policy(for: action.actionCode).numberMatching
        let challenge = ChallengeRecord(
            id: UUID().uuidString.lowercased(),
            userId: action.userId,
            actionCode: action.actionCode,
            idempotencyKey: action.idempotencyKey,
            authenticatorId: authenticatorId,
            createdAt: now,
            expiresAt: now.addingTimeInterval(services.configuration.challengeTTL),
            verificationCode: numberMatching ? String(Int.random(in: 10...99)) : nil
        )
        try await services.repository.insertChallenge(challenge)
        if let webhook = services.webhook {
            do {
                try await webhook.send(challenge, of: action, at: now)
            } catch {
                // The receiver refused it: nobody may answer this challenge.
                _ = try await services.repository.answerChallenge(
                    id: challenge.id, status: .failed, by: "webhook", at: now)
                throw error
            }
        }
        services.logger.info("push challenge created", metadata: ["challengeId": "\(challenge.id)"])
        return challenge
    }

    /// The challenge `challengeId` of the token's action; another action's challenge is not found.
    func progress(of challengeId: String, for claims: AccessTokenClaims, at now: Date) async throws -> Progress {
        guard let challenge = try await services.repository.challenge(id: challengeId),
            challenge.idempotencyKey.isSameIdentifier(as: claims.other.idempotencyKey)
        else { throw APIError.notFound("no challenge with this id for this token") }
        switch challenge.status {
        case .pending:
            return challenge.expiresAt <= now ? .expired : .pending(challenge)
        case .declined:
            return .declined
        case .failed:
            return .failed
        case .superseded:
            return .superseded
        case .approved:
            guard let action = try await services.repository.action(idempotencyKey: challenge.idempotencyKey) else {
                throw APIError.notFound("the challenge's action does not exist")
            }
            let token = services.tokens.token(for: action, scope: claims.scope, at: now)
            return .approved(accessToken: token, action: action)
        }
    }
}
