public import Foundation

/// The state values of an action, exactly as on the wire.
public enum ActionState: String, Sendable, Codable, CaseIterable {
    case allow = "ALLOW"
    case block = "BLOCK"
    case challengeRequired = "CHALLENGE_REQUIRED"
    case challengeSucceeded = "CHALLENGE_SUCCEEDED"
    case challengeFailed = "CHALLENGE_FAILED"
    case reviewRequired = "REVIEW_REQUIRED"
    case reviewSucceeded = "REVIEW_SUCCEEDED"
    case reviewFailed = "REVIEW_FAILED"
}

/// What `track` recorded about the attempt; rules read these.
public struct TrackedAttributes: Sendable, Hashable, Codable {
    public var ipAddress: String?
    public var userAgent: String?
    public var deviceId: String?
    public var redirectUrl: String?
    public var scope: String?
    public var custom: JSONValue?

    public init(
        ipAddress: String? = nil,
        userAgent: String? = nil,
        deviceId: String? = nil,
        redirectUrl: String? = nil,
        scope: String? = nil,
        custom: JSONValue? = nil
    ) {
        self.ipAddress = ipAddress
        self.userAgent = userAgent
        self.deviceId = deviceId
        self.redirectUrl = redirectUrl
        self.scope = scope
        self.custom = custom
    }
}

/// One tracked action, keyed by its idempotency key.
public struct ActionRecord: Sendable, Hashable, Codable {
    public var idempotencyKey: String
    public var userId: String
    public var actionCode: String
    public var state: ActionState
    public var createdAt: Date
    public var stateUpdatedAt: Date
    public var verificationMethod: String?
    public var ruleIds: [String]
    public var attributes: TrackedAttributes

    public init(
        idempotencyKey: String,
        userId: String,
        actionCode: String,
        state: ActionState,
        createdAt: Date,
        stateUpdatedAt: Date,
        verificationMethod: String? = nil,
        ruleIds: [String] = [],
        attributes: TrackedAttributes = .init()
    ) {
        self.idempotencyKey = idempotencyKey
        self.userId = userId
        self.actionCode = actionCode
        self.state = state
        self.createdAt = createdAt
        self.stateUpdatedAt = stateUpdatedAt
        self.verificationMethod = verificationMethod
        self.ruleIds = ruleIds
        self.attributes = attributes
    }
}

/// The kind of a device credential, as `getAuthenticators` and `validate` name it.
public enum VerificationMethod: String, Sendable, Codable, CaseIterable {
    /// The `push` namespace (and the legacy `device` one).
    case push = "PUSH"
    /// The `qr-code` namespace.
    case qrCode = "QR_CODE"
    /// The `in-app` namespace.
    case inApp = "IN_APP"
}

/// A device credential (push, QR-code or in-app): the device's public key is its handle.
public struct AuthenticatorRecord: Sendable, Hashable, Codable {
    public var id: String
    public var userId: String
    /// Standard padded base64 of the DER SubjectPublicKeyInfo (124 characters).
    public var publicKey: String
    public var deviceName: String
    public var devicePlatform: String
    public var pushToken: String?
    public var createdAt: Date
    public var verifiedAt: Date
    public var lastVerifiedAt: Date?
    /// When the credential stops working, with a credential lifetime configured; `updateCredential` with
    /// `resetExpiry` moves it. Past it, the device calls answer `invalid_credential`.
    public var expiresAt: Date?
    /// The namespace it was added in; records stored before there were several read as push.
    public var verificationMethod: VerificationMethod

    public init(
        id: String,
        userId: String,
        publicKey: String,
        deviceName: String,
        devicePlatform: String,
        pushToken: String? = nil,
        createdAt: Date,
        verifiedAt: Date,
        lastVerifiedAt: Date? = nil,
        expiresAt: Date? = nil,
        verificationMethod: VerificationMethod = .push
    ) {
        self.id = id
        self.userId = userId
        self.publicKey = publicKey
        self.deviceName = deviceName
        self.devicePlatform = devicePlatform
        self.pushToken = pushToken
        self.createdAt = createdAt
        self.verifiedAt = verifiedAt
        self.lastVerifiedAt = lastVerifiedAt
        self.expiresAt = expiresAt
        self.verificationMethod = verificationMethod
    }

    private enum CodingKeys: String, CodingKey {
        case id, userId, publicKey, deviceName, devicePlatform, pushToken, createdAt, verifiedAt, lastVerifiedAt
        case expiresAt, verificationMethod
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        userId = try container.decode(String.self, forKey: .userId)
        publicKey = try container.decode(String.self, forKey: .publicKey)
        deviceName = try container.decode(String.self, forKey: .deviceName)
        devicePlatform = try container.decode(String.self, forKey: .devicePlatform)
        pushToken = try container.decodeIfPresent(String.self, forKey: .pushToken)
        createdAt = try container.decode(Date.self, forKey: .createdAt)
        verifiedAt = try container.decode(Date.self, forKey: .verifiedAt)
        lastVerifiedAt = try container.decodeIfPresent(Date.self, forKey: .lastVerifiedAt)
        expiresAt = try container.decodeIfPresent(Date.self, forKey: .expiresAt)
        verificationMethod =
            try container.decodeIfPresent(VerificationMethod.self, forKey: .verificationMethod) ?? .push
    }
}

/// Where a push challenge stands. Only `pending` can change, and only once.
public enum ChallengeStatus: String, Sendable, Codable {
    case pending
    case approved
    case declined
    /// Approved with a wrong or missing verification code, or withdrawn because the webhook refused it.
    case failed
    /// A newer push for the same action replaced it before anyone answered.
    case superseded
}

/// A push challenge started by the browser for one action.
public struct ChallengeRecord: Sendable, Hashable, Codable {
    public var id: String
    public var userId: String
    public var actionCode: String
    public var idempotencyKey: String
    /// The one credential it targets, or nil for every push credential of the user.
    public var authenticatorId: String?
    public var createdAt: Date
    public var expiresAt: Date
    public var verificationCode: String?
    public var status: ChallengeStatus
    public var answeredAt: Date?
    public var answeredBy: String?

    public init(
        id: String,
        userId: String,
        actionCode: String,
        idempotencyKey: String,
        authenticatorId: String? = nil,
        createdAt: Date,
        expiresAt: Date,
        verificationCode: String? = nil,
        status: ChallengeStatus = .pending,
        answeredAt: Date? = nil,
        answeredBy: String? = nil
    ) {
        self.id = id
        self.userId = userId
        self.actionCode = actionCode
        self.idempotencyKey = idempotencyKey
        self.authenticatorId = authenticatorId
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.verificationCode = verificationCode
        self.status = status
        self.answeredAt = answeredAt
        self.answeredBy = answeredBy
    }

    func isVisible(to authenticatorId: String, at now: Date) -> Bool {
        status == .pending && expiresAt > now
            && (self.authenticatorId == nil || self.authenticatorId.isSameIdentifier(as: authenticatorId))
    }
}
