import Foundation
import Hummingbird

/// QR-code challenges in REST polling mode (PROTOCOL.md section 6): the browser creates one and polls it
/// with its `deviceCode`; a QR-code credential claims it (learning the sign-in's context) and answers it.
struct QRCodeController: Sendable {
    let services: ServerServices

    struct CreateBody: Decodable {
        var action: String
        var custom: JSONValue?
    }

    struct CreateResponse: Encodable {
        var challengeId: String
        var expiresAt: String
        var deviceCode: String
        /// Number matching (our choice, as for push): the code the browser shows and the device types.
        var verificationCode: String?
    }

    struct PollBody: Decodable {
        var challengeId: String
        var deviceCode: String
    }

    struct PollResponse: Encodable {
        var isClaimed: Bool
        var isVerified: Bool
        var isConsumed: Bool
        var token: String?
    }

    struct ClaimBody: Decodable {
        var challengeId: String
        var publicKey: String
        var signature: String
    }

    struct ClaimResponse: Encodable {
        var success: Bool
        var ipAddress: String?
        var userAgent: String?
        var actionCode: String?
        var idempotencyKey: String?
        var custom: JSONValue?
    }

    func addRoutes(to routes: inout RouteTable) {
        routes.add(.post, "client/challenge/qr-code", create)
        routes.add(.post, "client/verify/qr-code", poll)
        routes.add(.post, "client/user-authenticators/qr-code/challenge/claim", claim)
        routes.add(.post, "client/user-authenticators/qr-code/challenge", answer)
    }

    @Sendable func create(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let now = services.now
        let claims = try services.authentication.requireBearerOrTenant(request, at: now)
        let body = try await JSONBody.decode(CreateBody.self, from: request)
        let actionCode = try PathIdentifier.check(body.action, name: "action")
        if let custom = body.custom {
            guard case .object = custom else { throw APIError.invalidRequest("field 'custom' must be an object") }
        }
        let challenge = try await QRChallenges(services: services).create(
            actionCode: actionCode, custom: body.custom, claims: claims, userAgent: request.headers[.userAgent],
            at: now)
        return try JSONBody.response(
            CreateResponse(
                challengeId: challenge.id, expiresAt: challenge.expiresAt.iso8601, deviceCode: challenge.deviceCode,
                verificationCode: challenge.verificationCode))
    }

    @Sendable func poll(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try services.authentication.requireTenant(request)
        let body = try await JSONBody.decode(PollBody.self, from: request)
        let response: PollResponse
        switch try await QRChallenges(services: services).progress(
            of: body.challengeId, deviceCode: body.deviceCode, at: services.now)
        {
        case .waiting(let challenge):
            response = PollResponse(isClaimed: challenge.claimedBy != nil, isVerified: false, isConsumed: false)
        case .expired(let challenge), .rejected(let challenge):
            // Over without a token: consumed, so the browser stops polling.
            response = PollResponse(isClaimed: challenge.claimedBy != nil, isVerified: false, isConsumed: true)
        case .approved(_, let token, _):
            response = PollResponse(isClaimed: true, isVerified: true, isConsumed: true, token: token)
        }
        return try JSONBody.response(response)
    }

    @Sendable func claim(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try services.authentication.requireTenant(request)
        let body = try await JSONBody.decode(ClaimBody.self, from: request)
        let (authenticator, key) = try await services.credential(
            try DevicePublicKey(bodyValue: body.publicKey), method: .qrCode)
        guard key.isValidSignature(body.signature, for: body.challengeId) else {
            throw APIError.unauthorized("the signature does not sign the challengeId")
        }
        let claimed: QRChallengeRecord
        switch try await services.repository.claimQRChallenge(id: body.challengeId, by: authenticator, at: services.now)
        {
        case .claimed(let challenge): claimed = challenge
        case .notFound: throw APIError.notFound("no QR-code challenge with this id for this credential")
        case .expired: throw APIError.expired("the challenge has expired")
        case .unavailable(.claimed): throw APIError.alreadyClaimed()
        case .unavailable: throw APIError.alreadyAnswered()
        }
        let action = try await claimed.idempotencyKey.asyncFlatMap {
            try await services.repository.action(idempotencyKey: $0)
        }
        services.logger.info("QR-code challenge claimed", metadata: ["challengeId": "\(claimed.id)"])
        return try JSONBody.response(
            ClaimResponse(
                success: true, ipAddress: action?.attributes.ipAddress, userAgent: claimed.userAgent,
                actionCode: claimed.actionCode, idempotencyKey: claimed.idempotencyKey, custom: claimed.custom))
    }

    @Sendable func answer(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try services.authentication.requireTenant(request)
        let body = try await JSONBody.decode(DeviceController.AnswerBody.self, from: request)
        let (authenticator, key) = try await services.credential(
            try DevicePublicKey(bodyValue: body.publicKey), method: .qrCode)
        guard key.isValidSignature(body.signature, for: body.challengeId) else {
            throw APIError.unauthorized("the signature does not sign the challengeId")
        }
        guard let challenge = try await services.repository.qrChallenge(id: body.challengeId),
            challenge.userId == nil || challenge.userId.isSameIdentifier(as: authenticator.userId)
        else { throw APIError.notFound("no QR-code challenge with this id for this credential") }
        // Number matching, as for push: an approval with a wrong or missing code uses the challenge up.
        let status: QRChallengeStatus
        if !body.approved {
            status = .rejected
        } else if let code = challenge.verificationCode, body.verificationCode != code {
            status = .failed
        } else {
            status = .approved
        }
        switch try await services.repository.settleQRChallenge(
            id: challenge.id, status: status, by: authenticator.id, newActionKey: UUID().uuidString.lowercased(),
            at: services.now)
        {
        case .settled: break
        case .notFound: throw APIError.notFound("no QR-code challenge with this id for this credential")
        case .notClaimedByAuthenticator: throw APIError.alreadyClaimed()
        case .notClaimed(.pending): throw APIError.invalidRequest("claim the challenge before answering it")
        case .notClaimed: throw APIError.alreadyAnswered()
        case .expired: throw APIError.expired("the challenge has expired")
        case .actionSettled(let state): throw APIError.actionSettled(state)
        }
        services.logger.info(
            "QR-code challenge answered", metadata: ["challengeId": "\(challenge.id)", "status": "\(status.rawValue)"])
        return try JSONBody.response(DeviceController.AnswerResponse(isVerified: status == .approved))
    }
}

extension APIError {
    static func alreadyClaimed() -> APIError {
        .init(.invalidRequest, status: .conflict, "another credential has claimed the challenge")
    }
}

extension Optional {
    fileprivate func asyncFlatMap<Result>(_ transform: (Wrapped) async throws -> Result?) async rethrows -> Result? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
