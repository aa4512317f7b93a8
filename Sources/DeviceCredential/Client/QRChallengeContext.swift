/// What the service says about a QR-code challenge once this machine claimed it
/// (``QRCodeClient/claimChallenge(challengeId:)``): the sign-in to show the person before they answer.
///
/// Every string comes from the service, and through it from the browser: show it only through
/// ``DisplayText``.
public struct QRChallengeContext: Hashable, Sendable {
    /// The claimed challenge, to answer with ``QRCodeClient/updateChallenge(challengeId:approved:verificationCode:)``.
    public var challengeId: String
    /// The action being approved, e.g. `signIn`.
    public var actionCode: String?
    /// The action's idempotency key.
    public var idempotencyKey: String?
    /// The IP address of the browser that shows the QR code.
    public var ipAddress: String?
    /// The user agent of the browser that shows the QR code.
    public var userAgent: String?
    /// The action's custom data.
    public var custom: JSONValue?
    /// The user's custom data (`user.custom`).
    public var userCustom: JSONValue?

    /// Creates a context value.
    public init(
        challengeId: String, actionCode: String? = nil, idempotencyKey: String? = nil, ipAddress: String? = nil,
        userAgent: String? = nil, custom: JSONValue? = nil, userCustom: JSONValue? = nil
    ) {
        self.challengeId = challengeId
        self.actionCode = actionCode
        self.idempotencyKey = idempotencyKey
        self.ipAddress = ipAddress
        self.userAgent = userAgent
        self.custom = custom
        self.userCustom = userCustom
    }
}

/// The proof an in-app verification returns (``InAppClient/verify(action:username:token:)``): a token the
/// app's backend checks with the Server API's `validate`.
public struct InAppVerification: Hashable, Sendable {
    /// The token to hand to the backend (a secret for as long as it is valid: never log it).
    public var token: String
    /// The user the credential belongs to.
    public var userId: String
    /// The in-app credential that signed.
    public var userAuthenticatorId: String
    /// The user name the credential was enrolled for, when it was.
    public var username: String?

    /// Creates a verification value.
    public init(token: String, userId: String, userAuthenticatorId: String, username: String? = nil) {
        self.token = token
        self.userId = userId
        self.userAuthenticatorId = userAuthenticatorId
        self.username = username
    }
}
