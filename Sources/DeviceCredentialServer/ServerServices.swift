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
        nonces = NonceStore(lifetime: configuration.nonceTTL)
        webhook = configuration.pushWebhookURL.map {
            PushWebhook(url: $0, tenantId: configuration.tenantId, secretKey: configuration.secretKey, logger: logger)
        }
    }

    var now: Date { configuration.clock.now() }

    func policy(for actionCode: String) -> ActionPolicy {
        configuration.actions[actionCode] ?? .unconfigured
    }
}

/// Identifiers taken from the path, percent-decoded and checked so none can walk elsewhere.
enum PathIdentifier {
    static func get(_ name: String, from context: some RequestContext) throws(APIError) -> String {
        guard let raw = context.parameters.get(name), let value = raw.removingPercentEncoding else {
            throw .invalidRequest("\(name) is not correctly percent-encoded")
        }
        guard !value.isEmpty, value.utf8.count <= 256, value != ".", value != "..",
            !value.contains("/"), !value.contains("\\"),
            !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw .invalidRequest("\(name) must be 1 to 256 characters without '/', '\\' or control characters")
        }
        return value
    }
}

/// Dates as the contract renders them: ISO-8601 strings on credentials and actions.
extension Date {
    var iso8601: String { formatted(.iso8601) }
    var unixSeconds: Int { Int(timeIntervalSince1970.rounded(.down)) }
}
