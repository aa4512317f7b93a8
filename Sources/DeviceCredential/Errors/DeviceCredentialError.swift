/// The one error type DeviceCredential throws.
///
/// Modelled on swift-certificates' `CertificateError`: match on ``code`` (equality compares codes
/// only), show ``message`` to a person. When the service answered with an error body, ``code`` is
/// the service's `errorCode` and ``httpStatus`` its status.
public struct DeviceCredentialError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable machine-readable code.
    public var code: Code
    /// A sentence for a person. Never contains keys, tokens or signatures.
    public var message: String
    /// The HTTP status of the answer this error came from, if it came from one.
    public var httpStatus: Int?
    /// How long the service asked to wait before trying again (`Retry-After` on a 429), if it said; at
    /// most an hour (a longer request is cut to an hour; of several `Retry-After` fields, the longest).
    public var retryAfter: Duration?

    /// The `errorCode` the service sent, when this error came from a service's error body.
    public var errorCode: String?

    /// Creates an error with a code and a message for a person.
    public init(
        code: Code, message: String, httpStatus: Int? = nil, retryAfter: Duration? = nil, errorCode: String? = nil
    ) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.retryAfter = retryAfter
        self.errorCode = errorCode
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

extension DeviceCredentialError {
    /// A stable error code. Codes from the Authsignal protocol keep their wire spelling; an unknown
    /// `errorCode` from a service is carried as is.
    public struct Code: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
        /// The wire or local spelling, e.g. `invalid_credential`.
        public var rawValue: String

        /// Creates a code from its spelling (used for codes a service sends that this version does not know).
        public init(rawValue: String) { self.rawValue = rawValue }

        public var description: String { rawValue }

        // MARK: Codes the service sends

        /// The credential is unknown to the service or was removed there (revoked).
        public static let invalidCredential = Code(rawValue: "invalid_credential")
        /// The enrollment token has expired.
        public static let expiredToken = Code(rawValue: "expired_token")
        /// The request's credentials (token or tenant) were refused.
        public static let unauthorized = Code(rawValue: "unauthorized")
        /// The service rejected the request as malformed.
        public static let invalidRequest = Code(rawValue: "invalid_request")
        /// The service does not know the thing asked for (e.g. a challenge already answered or expired).
        public static let notFound = Code(rawValue: "not_found")
        /// The service asks to slow down; see ``DeviceCredentialError/retryAfter``.
        public static let tooManyRequests = Code(rawValue: "too_many_requests")

        // MARK: Local codes

        /// The service answered a QR-code claim with `success: false`.
        public static let claimRefused = Code(rawValue: "claim_refused")
        /// This profile has no key on this machine.
        public static let notEnrolled = Code(rawValue: "not_enrolled")
        /// Another answer to the challenge is being sent or was sent from this machine (the agent, the
        /// CLI, an app): nothing was signed or sent.
        public static let alreadyAnswered = Code(rawValue: "already_answered")
        /// The keyring holding the key is locked; unlock it and retry. Never means "not enrolled".
        public static let keyringLocked = Code(rawValue: "keyring_locked")
        /// The D-Bus session has no Secret Service (no gnome-keyring, KWallet, KeePassXC...).
        public static let keyringUnavailable = Code(rawValue: "keyring_unavailable")
        /// There is no D-Bus session bus to reach a keyring through (e.g. an SSH login without a session).
        public static let dbusUnavailable = Code(rawValue: "dbus_unavailable")
        /// A key store failed for another reason (file permissions, I/O, a keyring error).
        public static let keyStoreFailure = Code(rawValue: "key_store_failure")
        /// A key file is readable by other users and was refused.
        public static let insecureKeyFile = Code(rawValue: "insecure_key_file")
        /// Stored key material could not be read as a key of the expected kind.
        public static let invalidKey = Code(rawValue: "invalid_key")
        /// A cryptographic operation failed.
        public static let cryptoFailure = Code(rawValue: "crypto_failure")
        /// The service could not be reached, or the connection failed or timed out.
        public static let networkError = Code(rawValue: "network_error")
        /// The service answered something that is not the protocol (wrong type, bad JSON, too large).
        public static let invalidResponse = Code(rawValue: "invalid_response")
        /// The service failed (HTTP 5xx) without a protocol error code.
        public static let serverError = Code(rawValue: "server_error")
        /// A setting is invalid (API URL, profile name, namespace...).
        public static let invalidConfiguration = Code(rawValue: "invalid_configuration")
        /// The history of answers (`$XDG_STATE_HOME/devicecred/history.jsonl`) could not be written or read.
        public static let historyFailure = Code(rawValue: "history_failure")
    }
}
