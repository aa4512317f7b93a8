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
        if let action = body.action, !action.isSameIdentifier(as: claims.other.actionCode) {
            throw APIError.invalidRequest("action does not match the token's action")
        }
        let challenge = try await PushChallenges(services: services)
            .start(for: claims, authenticatorId: body.userAuthenticatorId, at: now)
        return try JSONBody.response(
            StartResponse(challengeId: challenge.id, verificationCode: challenge.verificationCode))
    }

    @Sendable func poll(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let now = services.now
        let claims = try services.authentication.requireBearer(request, at: now)
        let body = try await JSONBody.decode(PollBody.self, from: request)
        let response: PollResponse
        switch try await PushChallenges(services: services).progress(of: body.challengeId, for: claims, at: now) {
        case .pending:
            response = PollResponse(isVerified: false, isConsumed: false)
        case .expired, .declined, .failed, .superseded:
            // Over without a token: consumed, so the browser stops polling.
            response = PollResponse(isVerified: false, isConsumed: true)
        case .approved(let accessToken, _):
            response = PollResponse(isVerified: true, isConsumed: true, accessToken: accessToken)
        }
        return try JSONBody.response(response)
    }
}
