public import Foundation
public import Logging

/// Everything `buildApplication` needs. Defaults are the documented local development setup.
public struct ServerConfiguration: Sendable {
    /// The documented development tenant: fine on loopback, refused anywhere else.
    public static let devTenantId = "11111111-2222-4333-8444-555555555555"
    public static let devSecretKey = "dev_secret_devicecred_local_only"

    public var host = "127.0.0.1"
    /// 0 picks a free port.
    public var port = 8787
    /// SQLite file; nil keeps everything in memory.
    public var databasePath: String?
    public var tenantId = devTenantId
    public var secretKey = devSecretKey
    /// How long a push challenge can be answered.
    public var challengeTTL: TimeInterval = 300
    /// How long a credential works after enrollment or its last `updateCredential(resetExpiry: true)`;
    /// nil: credentials do not expire (the default).
    public var credentialLifetime: TimeInterval?
    /// How long a signing nonce (`.../sign`) stays usable.
    public var nonceTTL: TimeInterval = 60
    /// Lifetime of the tokens `track` and the push approval hand out.
    public var tokenTTL: TimeInterval = 600
    /// A connection with no request in progress and nothing read for this long is closed, so idle
    /// connections cannot use up the server's file descriptors.
    public var idleTimeout: TimeInterval = 60
    public var pushWebhookURL: URL?
    /// Per action code; codes not named here use `ActionPolicy.unconfigured`.
    public var actions: [String: ActionPolicy] = [:]
    public var logLevel: Logger.Level = .info
    /// Where logs go; nil makes a `devicecred-server` logger at `logLevel` from the global logging system.
    public var logger: Logger?
    public var clock: any ServerClock = SystemServerClock()
    /// Called once the server listens, with the host and the actual port.
    public var onListening: (@Sendable (_ host: String, _ port: Int) async -> Void)?

    public init() {}

    public var usesDevSecret: Bool { secretKey == Self.devSecretKey }

    /// The base URL clients use once the server listens on `port`.
    public func baseURL(port: Int) -> String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "http://\(host):\(port)/v1"
    }

    /// Refuses settings that would expose the documented secret or cannot work.
    public func validate() throws(ConfigurationError) {
        if usesDevSecret && !Self.isLoopback(host) {
            throw ConfigurationError(
                "refusing to listen on \(host) with the documented development secret key: "
                    + "set --secret-key or AUTHSIGNAL_SECRET_KEY, or listen on 127.0.0.1"
            )
        }
        if tenantId.isEmpty { throw ConfigurationError("the tenant id must not be empty") }
        if secretKey.isEmpty { throw ConfigurationError("the secret key must not be empty") }
        if !(0...65535).contains(port) { throw ConfigurationError("the port must be between 0 and 65535") }
        try Self.checkDuration(challengeTTL, "the challenge TTL (--challenge-ttl, challengeTtl)")
        try Self.checkDuration(nonceTTL, "the nonce lifetime")
        try Self.checkDuration(tokenTTL, "the token lifetime")
        try Self.checkDuration(idleTimeout, "the idle timeout (--idle-timeout, idleTimeout)")
        if let credentialLifetime {
            // Up to ten years: a date built from it cannot trap.
            guard credentialLifetime.isFinite, credentialLifetime > 0, credentialLifetime <= 315_360_000 else {
                throw ConfigurationError(
                    "the credential lifetime (--credential-lifetime, credentialLifetime) must be a number of seconds "
                        + "greater than 0 and at most 315360000 (ten years), not \(credentialLifetime)")
            }
        }
        if let url = pushWebhookURL, !["http", "https"].contains(url.scheme?.lowercased() ?? "") {
            throw ConfigurationError("the push webhook must be an http or https URL")
        }
    }

    /// The longest duration any setting accepts: a day.
    public static let maximumDuration: TimeInterval = 86_400

    /// Every duration is finite, positive and at most a day, so no date or `Duration` built from it can trap.
    static func checkDuration(_ seconds: TimeInterval, _ name: String) throws(ConfigurationError) {
        guard seconds.isFinite, seconds > 0, seconds <= maximumDuration else {
            throw ConfigurationError(
                "\(name) must be a number of seconds greater than 0 and at most \(Int(maximumDuration)), not \(seconds)"
            )
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        let host = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}

/// A configuration the server cannot start with, with a message for the person who wrote it.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
