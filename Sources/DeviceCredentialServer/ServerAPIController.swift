import Foundation
import Hummingbird

/// The secret-key API a tenant's backend calls: track, actions, validate, users and their authenticators.
struct ServerAPIController: Sendable {
    let services: ServerServices

    struct TrackBody: Decodable {
        var idempotencyKey: String?
        var redirectUrl: String?
        var ipAddress: String?
        var userAgent: String?
        var deviceId: String?
        var scope: String?
        var custom: JSONValue?
    }

    struct TrackResponse: Encodable {
        var idempotencyKey: String
        var state: ActionState
        var token: String
        var isEnrolled: Bool
        var enrolledVerificationMethods: [String]
        var allowedVerificationMethods: [String]
        var defaultVerificationMethod: String?
        var url: String
        var ruleIds: [String]
    }

    struct ActionResponse: Encodable {
        struct MatchedRule: Encodable {
            var ruleId: String
            var name: String
        }
        var userId: String
        var actionCode: String
        var idempotencyKey: String
        var state: ActionState
        var stateUpdatedAt: String
        var createdAt: String
        var verificationMethod: String?
        var rules: [MatchedRule]
        var output: [String: String]
    }

    struct UpdateActionBody: Decodable { var state: String }
    struct StateResponse: Encodable { var state: ActionState }

    struct ValidateBody: Decodable {
        var token: String
        var userId: String?
        var action: String?
    }

    struct ValidateResponse: Encodable {
        var isValid: Bool
        var state: ActionState
        var stateUpdatedAt: String
        var userId: String
        var action: String
        var actionCode: String
        var idempotencyKey: String
        var verificationMethod: String?
    }

    struct UserResponse: Encodable {
        var userId: String
        var isEnrolled: Bool
        var enrolledVerificationMethods: [String]
        var allowedVerificationMethods: [String]
        var defaultVerificationMethod: String?
    }

    struct AuthenticatorResponse: Encodable {
        var userAuthenticatorId: String
        var userId: String
        var verificationMethod: String
        var createdAt: String
        var verifiedAt: String
        var lastVerifiedAt: String?
        var displayName: String?
        var devicePlatform: String?
    }

    struct Empty: Encodable {}

    func addRoutes(to routes: inout RouteTable) {
        routes.add(.post, "users/:userId/actions/:actionCode", track)
        routes.add(.get, "users/:userId/actions/:actionCode/:idempotencyKey", getAction)
        routes.add(.patch, "users/:userId/actions/:actionCode/:idempotencyKey", updateAction)
        routes.add(.post, "validate", validate)
        routes.add(.get, "users/:userId", getUser)
        routes.add(.get, "users/:userId/authenticators", getAuthenticators)
        routes.add(.delete, "users/:userId/authenticators/:authenticatorId", deleteAuthenticator)
    }

    @Sendable func track(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try services.authentication.requireSecretKey(request)
        let userId = try PathIdentifier.get("userId", from: context)
        let actionCode = try PathIdentifier.get("actionCode", from: context)
        let body = try await JSONBody.decode(TrackBody.self, from: request)
        if let custom = body.custom {
            guard case .object = custom else { throw APIError.invalidRequest("field 'custom' must be an object") }
        }
        // The key names the action in getAction's path later, so it obeys the path identifiers' rules.
        let idempotencyKey = try body.idempotencyKey.map { try PathIdentifier.check($0, name: "idempotencyKey") }
        let now = services.now
        let methods = try await enrolledMethods(userId: userId)
        let enrolled = !methods.isEmpty
        let attributes = TrackedAttributes(
            ipAddress: body.ipAddress,
            userAgent: body.userAgent,
            deviceId: body.deviceId,
            redirectUrl: body.redirectUrl,
            scope: body.scope,
            custom: body.custom
        )
        let decision = services.policy(for: actionCode).decide(userId: userId, attributes: attributes)
        let candidate = ActionRecord(
            idempotencyKey: idempotencyKey ?? UUID().uuidString.lowercased(),
            userId: userId,
            actionCode: actionCode,
            state: Self.state(for: decision.outcome, isEnrolled: enrolled),
            createdAt: now,
            stateUpdatedAt: now,
            ruleIds: decision.ruleIds,
            attributes: attributes
        )
        let action = try await services.repository.insertActionIfAbsent(candidate)
        guard action.userId.isSameIdentifier(as: userId), action.actionCode.isSameIdentifier(as: actionCode) else {
            throw APIError.invalidRequest("idempotencyKey is already used by another user or action")
        }
        let token = services.tokens.token(for: action, scope: action.attributes.scope, at: now)
        let authority = request.head.authority ?? "127.0.0.1"
        return try JSONBody.response(
            TrackResponse(
                idempotencyKey: action.idempotencyKey,
                state: action.state,
                token: token,
                isEnrolled: enrolled,
                enrolledVerificationMethods: methods,
                allowedVerificationMethods: Self.allowedMethods,
                defaultVerificationMethod: methods.first,
                url: "http://\(authority)/v1/ui?token=\(token)",
                ruleIds: action.ruleIds
            )
        )
    }

    /// CHALLENGE needs something to challenge: a user without an authenticator is allowed (`isEnrolled` false).
    static func state(for outcome: ActionOutcome, isEnrolled: Bool) -> ActionState {
        switch outcome {
        case .allow: return .allow
        case .block: return .block
        case .review: return .reviewRequired
        case .challenge: return isEnrolled ? .challengeRequired : .allow
        }
    }

    @Sendable func getAction(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let action = try await pathAction(request, context)
        return try JSONBody.response(
            ActionResponse(
                userId: action.userId,
                actionCode: action.actionCode,
                idempotencyKey: action.idempotencyKey,
                state: action.state,
                stateUpdatedAt: action.stateUpdatedAt.iso8601,
                createdAt: action.createdAt.iso8601,
                verificationMethod: action.verificationMethod,
                rules: action.ruleIds.map { .init(ruleId: $0, name: $0) },
                output: [:]
            )
        )
    }

    @Sendable func updateAction(_ request: Request, context: BasicRequestContext) async throws -> Response {
        var action = try await pathAction(request, context)
        let body = try await JSONBody.decode(UpdateActionBody.self, from: request)
        guard let state = ActionState(rawValue: body.state) else {
            let states = ActionState.allCases.map(\.rawValue).joined(separator: ", ")
            throw APIError.invalidRequest("state must be one of \(states)")
        }
        action.state = state
        action.stateUpdatedAt = services.now
        try await services.repository.updateAction(action)
        return try JSONBody.response(StateResponse(state: state))
    }

    private func pathAction(_ request: Request, _ context: BasicRequestContext) async throws -> ActionRecord {
        try services.authentication.requireSecretKey(request)
        let userId = try PathIdentifier.get("userId", from: context)
        let actionCode = try PathIdentifier.get("actionCode", from: context)
        let key = try PathIdentifier.get("idempotencyKey", from: context)
        guard let action = try await services.repository.action(idempotencyKey: key),
            action.userId.isSameIdentifier(as: userId), action.actionCode.isSameIdentifier(as: actionCode)
        else { throw APIError.notFound("no action \(actionCode) with this idempotencyKey for this user") }
        return action
    }

    @Sendable func validate(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try services.authentication.requireSecretKey(request)
        let body = try await JSONBody.decode(ValidateBody.self, from: request)
        let claims: AccessTokenClaims
        do {
            claims = try services.tokens.verify(body.token, at: services.now)
        } catch .expired {
            throw APIError.expired("the token has expired")
        } catch {
            throw APIError.invalidRequest("the token is not valid")
        }
        if let userId = body.userId, !userId.isSameIdentifier(as: claims.other.userId) {
            throw APIError.invalidRequest("the token belongs to another user")
        }
        if let action = body.action, !action.isSameIdentifier(as: claims.other.actionCode) {
            throw APIError.invalidRequest("the token belongs to another action")
        }
        guard let action = try await services.repository.action(idempotencyKey: claims.other.idempotencyKey) else {
            throw APIError.notFound("the token's action does not exist")
        }
        return try JSONBody.response(
            ValidateResponse(
                isValid: action.state == .challengeSucceeded,
                state: action.state,
                stateUpdatedAt: action.stateUpdatedAt.iso8601,
                userId: action.userId,
                action: action.actionCode,
                actionCode: action.actionCode,
                idempotencyKey: action.idempotencyKey,
                verificationMethod: action.verificationMethod
            )
        )
    }

    @Sendable func getUser(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try services.authentication.requireSecretKey(request)
        let userId = try PathIdentifier.get("userId", from: context)
        let methods = try await enrolledMethods(userId: userId)
        return try JSONBody.response(
            UserResponse(
                userId: userId,
                isEnrolled: !methods.isEmpty,
                enrolledVerificationMethods: methods,
                allowedVerificationMethods: Self.allowedMethods,
                defaultVerificationMethod: methods.first
            )
        )
    }

    static let allowedMethods = VerificationMethod.allCases.map(\.rawValue)

    /// The kinds of credential the user has, push first (the default), then QR code, then in-app.
    private func enrolledMethods(userId: String) async throws -> [String] {
        let present = Set(try await services.repository.authenticators(userId: userId).map(\.verificationMethod))
        return VerificationMethod.allCases.filter(present.contains).map(\.rawValue)
    }

    @Sendable func getAuthenticators(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try services.authentication.requireSecretKey(request)
        let userId = try PathIdentifier.get("userId", from: context)
        let authenticators = try await services.repository.authenticators(userId: userId)
        return try JSONBody.response(
            authenticators.map {
                AuthenticatorResponse(
                    userAuthenticatorId: $0.id,
                    userId: $0.userId,
                    verificationMethod: $0.verificationMethod.rawValue,
                    createdAt: $0.createdAt.iso8601,
                    verifiedAt: $0.verifiedAt.iso8601,
                    lastVerifiedAt: $0.lastVerifiedAt?.iso8601,
                    displayName: $0.deviceName,
                    devicePlatform: $0.devicePlatform
                )
            }
        )
    }

    @Sendable func deleteAuthenticator(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try services.authentication.requireSecretKey(request)
        let userId = try PathIdentifier.get("userId", from: context)
        let id = try PathIdentifier.get("authenticatorId", from: context)
        guard let authenticator = try await services.repository.authenticator(id: id),
            authenticator.userId.isSameIdentifier(as: userId),
            try await services.repository.deleteAuthenticator(id: id)
        else { throw APIError.notFound("the user has no authenticator with this id") }
        return try JSONBody.response(Empty())
    }
}
