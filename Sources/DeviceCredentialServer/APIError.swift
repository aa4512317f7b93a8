public import HTTPTypes

/// Every failure the server answers with: rendered as `{error, errorCode, errorDescription}`.
///
/// Equality is on the code only, like swift-certificates' `CertificateError`.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The wire code, carried under both `error` and `errorCode`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let unauthorized = Code("unauthorized")
        public static let invalidRequest = Code("invalid_request")
        public static let invalidCredential = Code("invalid_credential")
        public static let expiredToken = Code("expired_token")
        public static let tooManyRequests = Code("too_many_requests")
        public static let notFound = Code("not_found")
        /// Local to this server: the `push.created` webhook did not answer 2xx.
        public static let webhookFailed = Code("webhook_failed")
        public static let internalError = Code("internal_error")
    }

    public var code: Code
    public var status: HTTPResponse.Status
    public var message: String

    public init(_ code: Code, status: HTTPResponse.Status, _ message: String) {
        self.code = code
        self.status = status
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    public static func == (lhs: APIError, rhs: APIError) -> Bool { lhs.code == rhs.code }

    static func unauthorized(_ message: String) -> APIError { .init(.unauthorized, status: .unauthorized, message) }
    static func invalidRequest(_ message: String) -> APIError { .init(.invalidRequest, status: .badRequest, message) }
    static func invalidCredential(_ message: String = "the credential is unknown or was removed") -> APIError {
        .init(.invalidCredential, status: .notFound, message)
    }
    static func notFound(_ message: String) -> APIError { .init(.notFound, status: .notFound, message) }
    /// A bearer token past its `exp`: the request's own credential expired, hence 401.
    static func expiredBearer() -> APIError { .init(.expiredToken, status: .unauthorized, "the token has expired") }
    /// A token, challenge or nonce named in the body that has expired: the request itself is fine, hence 400.
    static func expired(_ message: String) -> APIError { .init(.expiredToken, status: .badRequest, message) }
    static func alreadyAnswered() -> APIError {
        .init(.invalidRequest, status: .conflict, "the challenge has already been answered")
    }
    static func superseded() -> APIError {
        .init(.invalidRequest, status: .conflict, "a newer push for this action replaced the challenge")
    }
    /// The action left `CHALLENGE_REQUIRED`: its state is final for device answers.
    static func actionSettled(_ state: ActionState) -> APIError {
        .init(
            .invalidRequest, status: .conflict,
            "the action is already \(state.rawValue), so its challenge can no longer be answered")
    }
}
