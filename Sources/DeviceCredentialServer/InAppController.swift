import Foundation
import Hummingbird

/// In-app verification (PROTOCOL.md section 6): the device asks for a challenge, signs its id with its
/// in-app key, and gets a token the app's backend checks with `validate`.
struct InAppController: Sendable {
    let services: ServerServices

    struct ChallengeBody: Decodable { var action: String? }
    struct ChallengeResponse: Encodable { var challengeId: String }

    struct VerifyBody: Decodable {
        var challengeId: String
        var publicKey: String
        var signature: String
    }

    struct VerifyResponse: Encodable {
        var token: String
        var userId: String
        var userAuthenticatorId: String
    }

    func addRoutes(to routes: inout RouteTable) {
        routes.add(.post, "client/challenge", challenge)
        routes.add(.post, "client/verify/in-app", verify)
    }

    @Sendable func challenge(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try services.authentication.requireTenant(request)
        let body = try await JSONBody.decode(ChallengeBody.self, from: request)
        let action = try body.action.map { try PathIdentifier.check($0, name: "action") }
        let id = try await services.inAppChallenges.issue(action: action, at: services.now)
        return try JSONBody.response(ChallengeResponse(challengeId: id))
    }

    /// With an action in the challenge: Basic auth, and a new action for the credential's user, succeeded.
    /// Without one: the track token (Bearer) names the action, which must be the user's and wait for a challenge.
    @Sendable func verify(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let now = services.now
        let claims = try services.authentication.requireBearerOrTenant(request, at: now)
        let body = try await JSONBody.decode(VerifyBody.self, from: request)
        let (authenticator, key) = try await services.credential(
            try DevicePublicKey(bodyValue: body.publicKey), method: .inApp)
        guard key.isValidSignature(body.signature, for: body.challengeId) else {
            throw APIError.unauthorized("the signature does not sign the challengeId")
        }
        guard let challenge = try await services.inAppChallenges.consume(body.challengeId, at: now) else {
            throw APIError.notFound("no live in-app challenge with this id (they are single-use and short-lived)")
        }
        let action: ActionRecord
        if let actionCode = challenge.action {
            action = try await services.repository.insertActionIfAbsent(
                ActionRecord(
                    idempotencyKey: UUID().uuidString.lowercased(), userId: authenticator.userId,
                    actionCode: actionCode, state: .challengeSucceeded, createdAt: now, stateUpdatedAt: now,
                    verificationMethod: VerificationMethod.inApp.rawValue))
            _ = try await services.repository.modifyAuthenticator(id: authenticator.id) { $0.markVerified(at: now) }
        } else {
            guard let claims else {
                throw APIError.unauthorized(
                    "an in-app challenge without an action needs the track token as 'Authorization: Bearer <token>'")
            }
            guard claims.other.userId.isSameIdentifier(as: authenticator.userId) else {
                throw APIError.invalidRequest("the token belongs to another user than the credential")
            }
            // Checked and changed in one step: a push denied meanwhile is not overwritten.
            switch try await services.repository.verifyAction(
                idempotencyKey: claims.other.idempotencyKey, method: .inApp, by: authenticator.id, at: now)
            {
            case .verified(let verified): action = verified
            case .actionNotFound: throw APIError.invalidRequest("the token belongs to another user than the credential")
            case .actionSettled(let state): throw APIError.actionSettled(state)
            }
        }
        services.logger.info("in-app verification", metadata: ["userAuthenticatorId": "\(authenticator.id)"])
        return try JSONBody.response(
            VerifyResponse(
                token: services.tokens.token(for: action, scope: claims?.scope, at: now), userId: authenticator.userId,
                userAuthenticatorId: authenticator.id))
    }
}
