public import FoundationEssentials

/// A device credential as the service sees it (`addCredential`, `getCredential`, `updateCredential`).
public struct AppCredential: Hashable, Sendable, Codable {
    /// The service's id for this credential (authenticator).
    public var userAuthenticatorId: String
    /// The user the credential belongs to.
    public var userId: String
    /// When the credential was first verified (absent in an `updateCredential` answer).
    public var verifiedAt: Date?
    /// When the credential last signed something the service verified.
    public var lastVerifiedAt: Date?
    /// When the credential expires, if it does.
    public var expiresAt: Date?

    /// Creates a credential value.
    public init(
        userAuthenticatorId: String, userId: String, verifiedAt: Date? = nil, lastVerifiedAt: Date? = nil,
        expiresAt: Date? = nil
    ) {
        self.userAuthenticatorId = userAuthenticatorId
        self.userId = userId
        self.verifiedAt = verifiedAt
        self.lastVerifiedAt = lastVerifiedAt
        self.expiresAt = expiresAt
    }
}

/// A pending push challenge (`getChallenge`), with the context to show the person approving it.
public struct AppChallenge: Hashable, Sendable, Codable {
    /// The challenge to approve or deny with ``DeviceCredentialClient/updateChallenge(challengeId:approved:verificationCode:)``.
    public var challengeId: String
    /// The credential the challenge was sent to.
    public var userAuthenticatorId: String
    /// The user signing in.
    public var userId: String?
    /// The action being approved, e.g. `signIn`.
    public var actionCode: String?
    /// The action's idempotency key.
    public var idempotencyKey: String?
    /// The initiating browser's device id.
    public var deviceId: String?
    /// The initiating browser's user agent.
    public var userAgent: String?
    /// The initiating browser's IP address.
    public var ipAddress: String?
    /// When the challenge expires.
    public var expiresAt: Date?
    /// The action's custom data (only in the signed flow).
    public var custom: JSONValue?
    /// The user's custom data (`user.custom`; only in the signed flow).
    public var userCustom: JSONValue?

    /// Creates a challenge value.
    public init(
        challengeId: String, userAuthenticatorId: String, userId: String? = nil, actionCode: String? = nil,
        idempotencyKey: String? = nil, deviceId: String? = nil, userAgent: String? = nil, ipAddress: String? = nil,
        expiresAt: Date? = nil, custom: JSONValue? = nil, userCustom: JSONValue? = nil
    ) {
        self.challengeId = challengeId
        self.userAuthenticatorId = userAuthenticatorId
        self.userId = userId
        self.actionCode = actionCode
        self.idempotencyKey = idempotencyKey
        self.deviceId = deviceId
        self.userAgent = userAgent
        self.ipAddress = ipAddress
        self.expiresAt = expiresAt
        self.custom = custom
        self.userCustom = userCustom
    }
}
