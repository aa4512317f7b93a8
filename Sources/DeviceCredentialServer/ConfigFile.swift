public import Foundation

/// The `--config` document, in JSON or TOML (chosen by the file extension); both forms decode the same.
///
/// ```toml
/// challengeTtl = 120
/// [actions.signIn]
/// defaultOutcome = "CHALLENGE"
/// numberMatching = true
/// [[actions.signIn.rules]]
/// id = "block-office-vpn"
/// priority = 1
/// outcome = "BLOCK"
/// [[actions.signIn.rules.conditions]]
/// field = "ipAddress"
/// op = "in"
/// value = ["10.0.0.1", "10.0.0.2"]
/// ```
public struct ConfigFile: Sendable, Decodable, Equatable {
    public var tenantId: String?
    public var secretKey: String?
    public var challengeTtl: Double?
    /// Seconds a credential works after enrollment or a reset of its expiry; absent: no expiry.
    public var credentialLifetime: Double?
    public var idleTimeout: Double?
    public var pushWebhook: String?
    public var actions: [String: ActionPolicy]?

    /// Reads and decodes `path`; `.toml` files go through `TOMLParser`, everything else is JSON.
    public static func load(path: String) throws(ConfigurationError) -> ConfigFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigurationError("cannot read the config file \(path): \(error.localizedDescription)")
        }
        let isTOML = URL(fileURLWithPath: path).pathExtension.lowercased() == "toml"
        return try decode(data, isTOML: isTOML, name: path)
    }

    public static func decode(_ data: Data, isTOML: Bool, name: String = "config") throws(ConfigurationError)
        -> ConfigFile
    {
        var json = data
        if isTOML {
            guard let text = String(data: data, encoding: .utf8) else {
                throw ConfigurationError("\(name) is not UTF-8")
            }
            do {
                json = try JSONEncoder().encode(try TOMLParser.parse(text))
            } catch let error as TOMLParser.Error {
                throw ConfigurationError("\(name): \(error)")
            } catch {
                throw ConfigurationError("\(name): \(error)")
            }
        }
        do {
            return try JSONDecoder().decode(ConfigFile.self, from: json)
        } catch let error as DecodingError {
            throw ConfigurationError("\(name): \(DecodingFailure.describe(error))")
        } catch {
            throw ConfigurationError("\(name): \(error)")
        }
    }

    /// Copies what the file sets onto `configuration`.
    public func apply(to configuration: inout ServerConfiguration) throws(ConfigurationError) {
        if let tenantId { configuration.tenantId = tenantId }
        if let secretKey { configuration.secretKey = secretKey }
        if let challengeTtl { configuration.challengeTTL = challengeTtl }
        if let credentialLifetime { configuration.credentialLifetime = credentialLifetime }
        if let idleTimeout { configuration.idleTimeout = idleTimeout }
        if let pushWebhook {
            guard let url = URL(string: pushWebhook) else {
                throw ConfigurationError("pushWebhook is not a URL: \(pushWebhook)")
            }
            configuration.pushWebhookURL = url
        }
        if let actions { configuration.actions = actions }
    }
}
