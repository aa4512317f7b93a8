import Foundation
import HTTPTypes
import Hummingbird

/// The device endpoints under `client/user-authenticators/<namespace>`: every proof is a P-256 signature
/// verified with swift-crypto against the stored public key.
struct DeviceController: Sendable {
    let services: ServerServices

    struct AddBody: Decodable {
        var publicKey: String
        var deviceName: String
        var devicePlatform: String
        var pushToken: String?
    }

    struct CredentialResponse: Encodable {
        var userAuthenticatorId: String
        var userId: String
        var verifiedAt: String
        var lastVerifiedAt: String?
        var expiresAt: String?
        var deviceName: String
        var devicePlatform: String
    }

    struct RemoveBody: Decodable {
        var publicKey: String
        var signature: String
    }

    struct RemoveResponse: Encodable { var removedAuthenticatorId: String }
    struct MessageResponse: Encodable { var message: String }

    struct UpdateNonceResponse: Encodable {
        var challengeId: String
        var message: String
    }

    struct ChallengeResponse: Encodable {
        struct User: Encodable { var custom: JSONValue }
        var userAuthenticatorId: String
        var challengeId: String?
        var userId: String?
        var actionCode: String?
        var idempotencyKey: String?
        var deviceId: String?
        var userAgent: String?
        var ipAddress: String?
        var expiresAt: Int?
        var custom: JSONValue?
    }

    struct AnswerBody: Decodable {
        var challengeId: String
        var publicKey: String
        var approved: Bool
        var signature: String
        var verificationCode: String?
    }

    struct AnswerResponse: Encodable { var isVerified: Bool }

    struct UpdateBody: Decodable {
        var challengeId: String
        var publicKey: String
        var signature: String
        var pushToken: String?
        var resetExpiry: Bool?
    }

    struct UpdateResponse: Encodable {
        var userAuthenticatorId: String
        var userId: String
        var lastVerifiedAt: String
        var pushToken: String?
        var expiresAt: String?
    }

    /// `push`, and `device`, the 2025 legacy namespace with the same shapes: every call.
    static let pushNamespaces = ["push", "device"]
    /// The QR-code and in-app namespaces: add, get and remove (their challenges are elsewhere).
    static let otherNamespaces: [(path: String, method: VerificationMethod)] = [
        ("qr-code", .qrCode), ("in-app", .inApp),
    ]

    func addRoutes(to routes: inout RouteTable) {
        for namespace in Self.pushNamespaces {
            let prefix = "client/user-authenticators/\(namespace)"
            addCredentialRoutes(prefix: prefix, method: .push, to: &routes)
            routes.add(.patch, prefix, updateCredential)
            routes.add(.post, "\(prefix)/challenge/sign", challengeNonce)
            routes.add(.get, "\(prefix)/challenge", getChallenge)
            routes.add(.post, "\(prefix)/challenge", updateChallenge)
            routes.add(.post, "\(prefix)/sign", updateNonce)
        }
        for (path, method) in Self.otherNamespaces {
            addCredentialRoutes(prefix: "client/user-authenticators/\(path)", method: method, to: &routes)
        }
    }

    private func addCredentialRoutes(prefix: String, method: VerificationMethod, to routes: inout RouteTable) {
        routes.add(.post, prefix) { try await addCredential($0, context: $1, method: method) }
        routes.add(.get, prefix) { try await getCredential($0, context: $1, method: method) }
        routes.add(.post, "\(prefix)/remove") { try await removeCredential($0, context: $1, method: method) }
    }

    @Sendable func addCredential(_ request: Request, context: BasicRequestContext, method: VerificationMethod)
        async throws -> Response
    {
        let now = services.now
        let claims = try services.authentication.requireBearer(request, at: now)
        let body = try await JSONBody.decode(AddBody.self, from: request)
        let key = try DevicePublicKey(bodyValue: body.publicKey)
        guard !body.devicePlatform.isEmpty else { throw APIError.invalidRequest("devicePlatform must not be empty") }
        let userId = claims.other.userId
        // A first credential needs only the track token; more need the add:authenticators scope. The
        // repository checks and inserts in one step, so parallel enrollments cannot all see "no credential".
        let mayAddMore = (claims.scope ?? "").split(separator: " ").contains("add:authenticators")
        let insertion = try await services.repository.insertAuthenticator(
            AuthenticatorRecord(
                id: UUID().uuidString.lowercased(),
                userId: userId,
                publicKey: key.canonical,
                deviceName: body.deviceName,
                devicePlatform: body.devicePlatform,
                pushToken: body.pushToken,
                createdAt: now,
                verifiedAt: now,
                expiresAt: services.configuration.credentialLifetime.map { now.addingTimeInterval($0) },
                verificationMethod: method
            ),
            onlyAsFirst: !mayAddMore
        )
        switch insertion {
        case .inserted(let stored):
            return try JSONBody.response(Self.credential(stored))
        case .keyRegistered(let existing):
            guard existing.userId.isSameIdentifier(as: userId) else {
                throw APIError.invalidRequest("this publicKey is registered to another user")
            }
            guard existing.verificationMethod == method else {
                throw APIError.invalidRequest(
                    "this publicKey is registered in another namespace: use a key per namespace")
            }
            return try JSONBody.response(Self.credential(existing))
        case .userHasAuthenticator:
            throw APIError.unauthorized("the user already has an authenticator: the token needs add:authenticators")
        }
    }

    @Sendable func getCredential(_ request: Request, context: BasicRequestContext, method: VerificationMethod)
        async throws -> Response
    {
        try services.authentication.requireTenant(request)
        // An expired credential is still described (its expiresAt in the past), so a device can tell why.
        let (authenticator, _) = try await queryCredential(request, method: method, allowingExpired: true)
        return try JSONBody.response(Self.credential(authenticator))
    }

    @Sendable func removeCredential(_ request: Request, context: BasicRequestContext, method: VerificationMethod)
        async throws -> Response
    {
        try services.authentication.requireTenant(request)
        let body = try await JSONBody.decode(RemoveBody.self, from: request)
        let (authenticator, key) = try await bodyCredential(body.publicKey, method: method, allowingExpired: true)
        // The message is the 10-minute window rendered as a Double ("2993192.0"); the previous one is accepted too.
        let window = (services.now.timeIntervalSince1970 / 600).rounded(.down)
        guard [window, window - 1].contains(where: { key.isValidSignature(body.signature, for: String($0)) }) else {
            throw APIError.unauthorized("the signature does not sign the current or previous time window")
        }
        // Its nonces go with it, in the same step.
        guard try await services.repository.deleteAuthenticator(id: authenticator.id) else {
            throw APIError.invalidCredential()
        }
        return try JSONBody.response(RemoveResponse(removedAuthenticatorId: authenticator.id))
    }

    @Sendable func challengeNonce(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try services.authentication.requireTenant(request)
        let (authenticator, _) = try await queryCredential(request)
        let message = try await services.nonces.issue(for: authenticator.id, purpose: .getChallenge, at: services.now)
        return try JSONBody.response(MessageResponse(message: message))
    }

    @Sendable func getChallenge(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try services.authentication.requireTenant(request)
        let (authenticator, key) = try await queryCredential(request)
        let now = services.now
        // Unsigned requests are allowed (the SDKs fall back to them) but do not see `custom`.
        var isSigned = false
        if let signature = request.headers[HTTPField.Name("X-Authsignal-Signature")!] {
            isSigned = try await services.nonces.consume(for: authenticator.id, purpose: .getChallenge, at: now) {
                key.isValidSignature(signature, for: $0)
            }
            guard isSigned else { throw APIError.unauthorized("the signature does not sign an unused nonce") }
        }
        guard let (challenge, action) = try await shownChallenge(to: authenticator, at: now) else {
            return try JSONBody.response(ChallengeResponse(userAuthenticatorId: authenticator.id))
        }
        return try JSONBody.response(
            ChallengeResponse(
                userAuthenticatorId: authenticator.id,
                challengeId: challenge.id,
                userId: challenge.userId,
                actionCode: challenge.actionCode,
                idempotencyKey: challenge.idempotencyKey,
                deviceId: action.attributes.deviceId,
                userAgent: action.attributes.userAgent,
                ipAddress: action.attributes.ipAddress,
                expiresAt: challenge.expiresAt.unixSeconds,
                custom: isSigned ? action.attributes.custom : nil
            )
        )
    }

    @Sendable func updateChallenge(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try services.authentication.requireTenant(request)
        let body = try await JSONBody.decode(AnswerBody.self, from: request)
        let (authenticator, key) = try await bodyCredential(body.publicKey)
        guard key.isValidSignature(body.signature, for: body.challengeId) else {
            throw APIError.unauthorized("the signature does not sign the challengeId")
        }
        let now = services.now
        guard let challenge = try await services.repository.challenge(id: body.challengeId),
            challenge.userId.isSameIdentifier(as: authenticator.userId),
            challenge.authenticatorId == nil || challenge.authenticatorId.isSameIdentifier(as: authenticator.id)
        else { throw APIError.notFound("no challenge with this id for this credential") }

        // Number matching: an approval with a wrong or missing code uses the challenge up as failed.
        let status: ChallengeStatus
        if !body.approved {
            status = .declined
        } else if let code = challenge.verificationCode, body.verificationCode != code {
            status = .failed
        } else {
            status = .approved
        }
        // The challenge, the action and the authenticator change together, or not at all.
        switch try await services.repository.settleChallenge(
            id: challenge.id, status: status, by: authenticator.id, at: now)
        {
        case .settled: break
        case .challengeNotFound: throw APIError.notFound("no challenge with this id for this credential")
        case .challengeNotPending(.superseded): throw APIError.superseded()
        case .challengeNotPending: throw APIError.alreadyAnswered()
        case .challengeExpired: throw APIError.expired("the challenge has expired")
        case .actionSettled(let state): throw APIError.actionSettled(state)
        }
        services.logger.info(
            "push challenge answered", metadata: ["challengeId": "\(challenge.id)", "status": "\(status.rawValue)"])
        return try JSONBody.response(AnswerResponse(isVerified: status == .approved))
    }

    @Sendable func updateNonce(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try services.authentication.requireTenant(request)
        let (authenticator, _) = try await queryCredential(request)
        let challengeId = UUID().uuidString.lowercased()
        let message = try await services.nonces.issue(
            for: authenticator.id, purpose: .updateCredential(challengeId: challengeId), at: services.now)
        return try JSONBody.response(UpdateNonceResponse(challengeId: challengeId, message: message))
    }

    @Sendable func updateCredential(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try services.authentication.requireTenant(request)
        let body = try await JSONBody.decode(UpdateBody.self, from: request)
        let (authenticator, key) = try await bodyCredential(body.publicKey)
        let now = services.now
        let purpose = NonceStore.Purpose.updateCredential(challengeId: body.challengeId)
        let (verifyingKey, signature) = (key, body.signature)
        guard
            try await services.nonces.consume(
                for: authenticator.id, purpose: purpose, at: now,
                where: {
                    verifyingKey.isValidSignature(signature, for: $0)
                })
        else { throw APIError.unauthorized("the signature does not sign an unused nonce for this challengeId") }
        let pushToken = body.pushToken
        let lifetime = body.resetExpiry == true ? services.configuration.credentialLifetime : nil
        // Changed in one step on the stored record: an approval answered meanwhile keeps its lastVerifiedAt.
        guard
            let updated = try await services.repository.modifyAuthenticator(
                id: authenticator.id,
                {
                    if let pushToken { $0.pushToken = pushToken }
                    $0.markVerified(at: now)
                    if let lifetime { $0.expiresAt = now.addingTimeInterval(lifetime) }
                })
        else { throw APIError.invalidCredential() }
        return try JSONBody.response(
            UpdateResponse(
                userAuthenticatorId: updated.id,
                userId: updated.userId,
                lastVerifiedAt: (updated.lastVerifiedAt ?? now).iso8601,
                pushToken: updated.pushToken,
                expiresAt: updated.expiresAt?.iso8601
            )
        )
    }

    /// The newest challenge this credential may answer: pending, unexpired, for it, and of an action that
    /// still waits for a push (one the backend settled meanwhile is not shown).
    private func shownChallenge(to authenticator: AuthenticatorRecord, at now: Date) async throws
        -> (ChallengeRecord, ActionRecord)?
    {
        for challenge in try await services.repository.pendingChallenges(userId: authenticator.userId)
        where challenge.isVisible(to: authenticator.id, at: now) {
            if let action = try await services.repository.action(idempotencyKey: challenge.idempotencyKey),
                action.state == .challengeRequired
            {
                return (challenge, action)
            }
        }
        return nil
    }

    // MARK: finding the credential

    private func queryCredential(
        _ request: Request, method: VerificationMethod = .push, allowingExpired: Bool = false
    ) async throws
        -> (AuthenticatorRecord, DevicePublicKey)
    {
        guard let value = request.uri.queryParameters.get("publicKey") else {
            throw APIError.invalidRequest("missing query parameter 'publicKey'")
        }
        return try await services.credential(
            try DevicePublicKey(queryValue: value), method: method, allowingExpired: allowingExpired)
    }

    private func bodyCredential(
        _ publicKey: String, method: VerificationMethod = .push, allowingExpired: Bool = false
    ) async throws -> (AuthenticatorRecord, DevicePublicKey) {
        try await services.credential(
            try DevicePublicKey(bodyValue: publicKey), method: method, allowingExpired: allowingExpired)
    }

    private static func credential(_ authenticator: AuthenticatorRecord) -> CredentialResponse {
        CredentialResponse(
            userAuthenticatorId: authenticator.id,
            userId: authenticator.userId,
            verifiedAt: authenticator.verifiedAt.iso8601,
            lastVerifiedAt: authenticator.lastVerifiedAt?.iso8601,
            expiresAt: authenticator.expiresAt?.iso8601,
            deviceName: authenticator.deviceName,
            devicePlatform: authenticator.devicePlatform
        )
    }
}
