import Foundation
import Hummingbird
import Logging

/// What every controller shares: settings, storage, authentication, the clock.
struct ServerServices: Sendable {
    let configuration: ServerConfiguration
    let repository: any Repository
    let authentication: RequestAuthentication
    let tokens: AccessTokenSigner
    let nonces: NonceStore
    let inAppChallenges: InAppChallengeStore
    let webhook: PushWebhook?
    let logger: Logger

    init(configuration: ServerConfiguration, repository: any Repository, logger: Logger) {
        self.configuration = configuration
        self.repository = repository
        self.logger = logger
        tokens = AccessTokenSigner(
            tenantId: configuration.tenantId,
            secretKey: configuration.secretKey,
            lifetime: configuration.tokenTTL
        )
        authentication = RequestAuthentication(
            tenantId: configuration.tenantId,
            secretKey: configuration.secretKey,
            tokens: tokens
        )
        nonces = NonceStore(repository: repository, lifetime: configuration.nonceTTL)
        inAppChallenges = InAppChallengeStore(repository: repository, lifetime: configuration.nonceTTL)
        webhook = configuration.pushWebhookURL.map {
            PushWebhook(url: $0, tenantId: configuration.tenantId, secretKey: configuration.secretKey, logger: logger)
        }
    }

    var now: Date { configuration.clock.now() }

    func policy(for actionCode: String) -> ActionPolicy {
        configuration.actions[actionCode] ?? .unconfigured
    }

    /// The credential of `key` in the namespace of `method`; a key of another namespace is unknown here
    /// (`invalid_credential`), as a removed one is.
    /// Past its `expiresAt` (with a credential lifetime configured) a credential no longer works, except to
    /// be described or removed (`allowingExpired`).
    func credential(_ key: DevicePublicKey, method: VerificationMethod, allowingExpired: Bool = false) async throws
        -> (AuthenticatorRecord, DevicePublicKey)
    {
        guard let authenticator = try await repository.authenticator(publicKey: key.canonical),
            authenticator.verificationMethod == method
        else { throw APIError.invalidCredential() }
        if !allowingExpired, let expiresAt = authenticator.expiresAt, expiresAt <= now {
            throw APIError.invalidCredential("the credential expired at \(expiresAt.iso8601)")
        }
        return (authenticator, key)
    }
}

/// Identifiers taken from the path, percent-decoded and checked so none can walk elsewhere.
enum PathIdentifier {
    static func get(_ name: String, from context: some RequestContext) throws(APIError) -> String {
        guard let raw = context.parameters.get(name), let value = raw.removingPercentEncoding else {
            throw .invalidRequest("\(name) is not correctly percent-encoded")
        }
        return try check(value, name: name)
    }

    /// The rules for an identifier that will be a path segment, such as `track`'s `idempotencyKey`.
    static func check(_ value: String, name: String) throws(APIError) -> String {
        // Scalars, not Characters: "/" followed by a combining mark is one Character that is not "/".
        guard !value.isEmpty, value.utf8.count <= 256, value != ".", value != "..",
            !value.unicodeScalars.contains(where: {
                $0 == "/" || $0 == "\\" || $0.properties.generalCategory == .control
            })
        else {
            throw .invalidRequest(
                "\(name) must be 1 to 256 bytes of UTF-8 without '/', '\\' or control characters, and not '.' or '..'")
        }
        return value
    }
}

/// Dates as the contract renders them: ISO-8601 strings on credentials and actions.
extension Date {
    var iso8601: String { formatted(.iso8601) }
    var unixSeconds: Int { Int(timeIntervalSince1970.rounded(.down)) }
}
