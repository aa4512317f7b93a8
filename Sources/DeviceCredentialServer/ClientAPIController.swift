import Foundation
import Hummingbird

/// The browser side: start a push challenge and poll it, with the token from `track`.
struct ClientAPIController: Sendable {
    let services: ServerServices

    struct StartBody: Decodable {
        var action: String?
        var userAuthenticatorId: String?
    }

    struct StartResponse: Encodable {
        var challengeId: String
        var verificationCode: String?
    }

    struct PollBody: Decodable { var challengeId: String }

    struct PollResponse: Encodable {
        var isVerified: Bool
        var isConsumed: Bool
        var accessToken: String?
    }

    func addRoutes(to routes: inout RouteTable) {
        routes.add(.post, "client/challenge/push", startPush)
        routes.add(.post, "client/verify/push", poll)
    }

    @Sendable func startPush(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let now = services.now
        let claims = try services.authentication.requireBearer(request, at: now)
        let body = try await JSONBody.decode(StartBody.self, from: request)
        if let action = body.action, action != claims.other.actionCode {
            throw APIError.invalidRequest("action does not match the token's action")
        }
        guard let action = try await services.repository.action(idempotencyKey: claims.other.idempotencyKey) else {
            throw APIError.notFound("the token's action does not exist")
        }
        guard action.state == .challengeRequired else {
            throw APIError.invalidRequest("the action is \(action.state.rawValue), not CHALLENGE_REQUIRED")
        }
        let authenticators = try await services.repository.authenticators(userId: action.userId)
        if let id = body.userAuthenticatorId {
            guard authenticators.contains(where: { $0.id == id }) else {
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
            authenticatorId: body.userAuthenticatorId,
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
        return try JSONBody.response(
            StartResponse(challengeId: challenge.id, verificationCode: challenge.verificationCode))
    }

    @Sendable func poll(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let now = services.now
        let claims = try services.authentication.requireBearer(request, at: now)
        let body = try await JSONBody.decode(PollBody.self, from: request)
        guard let challenge = try await services.repository.challenge(id: body.challengeId),
            challenge.idempotencyKey == claims.other.idempotencyKey
        else { throw APIError.notFound("no challenge with this id for this token") }
        let response: PollResponse
        switch challenge.status {
        case .pending:
            // An expired challenge is over: report it consumed so the browser stops polling.
            response = PollResponse(isVerified: false, isConsumed: challenge.expiresAt <= now)
        case .declined, .failed:
            response = PollResponse(isVerified: false, isConsumed: true)
        case .approved:
            guard let action = try await services.repository.action(idempotencyKey: challenge.idempotencyKey) else {
                throw APIError.notFound("the challenge's action does not exist")
            }
            let token = services.tokens.token(for: action, scope: claims.scope, at: now)
            response = PollResponse(isVerified: true, isConsumed: true, accessToken: token)
        }
        return try JSONBody.response(response)
    }
}
