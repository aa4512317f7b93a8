import ArgumentParser
import DeviceCredentialRelease
import DeviceCredentialServer
import Foundation
import Hummingbird
import Logging

/// `devicecred-server`: Authsignal in a box for one tenant, on loopback by default.
@main
struct DevicecredServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devicecred-server",
        abstract: "A local server speaking Authsignal's Server, Client and device APIs for one tenant.",
        discussion: """
            Precedence: built-in dev tenant < --config file < AUTHSIGNAL_TENANT_ID / AUTHSIGNAL_SECRET_KEY < flags.
            Prints 'devicecred-server listening on http://HOST:PORT/v1' on stdout once it listens.
            """,
        version: Release.version
    )

    @Option(help: "Address to listen on. Anything but loopback needs a secret key of your own.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one.")
    var port = 8787

    @Option(help: "SQLite file to keep state in across restarts (default: in memory).")
    var database: String?

    @Option(help: "Tenant id (default: AUTHSIGNAL_TENANT_ID, else the documented dev tenant).")
    var tenantId: String?

    @Option(help: "Secret key for the Server API (default: AUTHSIGNAL_SECRET_KEY, else the documented dev secret).")
    var secretKey: String?

    @Option(help: "Action configuration, JSON or TOML (by extension).")
    var config: String?

    @Option(help: "URL to POST push.created to, synchronously; a non-2xx answer fails the challenge.")
    var pushWebhook: String?

    @Option(help: "Seconds a push challenge can be answered.")
    var challengeTtl: Double?

    @Option(
        help: """
            Seconds a credential works after enrollment or updateCredential with resetExpiry (default: \
            credentials do not expire).
            """)
    var credentialLifetime: Double?

    @Option(help: "Seconds an idle connection stays open (default 60).")
    var idleTimeout: Double?

    @Option(help: "Write the base URL to this file once listening.")
    var urlFile: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func run() async throws {
        let configuration = try makeConfiguration()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        let app = try await buildApplication(configuration)
        try await app.runService()
    }

    private func makeConfiguration() throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.databasePath = database
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        configuration.logLevel = level
        do {
            if let config { try ConfigFile.load(path: config).apply(to: &configuration) }
        } catch {
            throw ValidationError(error.description)
        }
        let environment = ProcessInfo.processInfo.environment
        if let value = environment["AUTHSIGNAL_TENANT_ID"], !value.isEmpty { configuration.tenantId = value }
        if let value = environment["AUTHSIGNAL_SECRET_KEY"], !value.isEmpty { configuration.secretKey = value }
        if let tenantId { configuration.tenantId = tenantId }
        if let secretKey { configuration.secretKey = secretKey }
        if let challengeTtl { configuration.challengeTTL = challengeTtl }
        if let credentialLifetime { configuration.credentialLifetime = credentialLifetime }
        if let idleTimeout { configuration.idleTimeout = idleTimeout }
        if let pushWebhook {
            guard let url = URL(string: pushWebhook) else { throw ValidationError("--push-webhook is not a URL") }
            configuration.pushWebhookURL = url
        }
        do {
            try configuration.validate()
        } catch {
            throw ValidationError(error.description)
        }
        configuration.onListening = { [urlFile, configuration] _, port in
            announce(configuration, port: port, urlFile: urlFile)
        }
        return configuration
    }
}

/// The lines scripts and people wait for. The secret is printed only when it is the documented dev one.
private func announce(_ configuration: ServerConfiguration, port: Int, urlFile: String?) {
    let baseURL = configuration.baseURL(port: port)
    if let urlFile {
        do {
            try URLFile.write(baseURL, to: urlFile)
        } catch {
            FileHandle.standardError.write(Data("devicecred-server: cannot write \(urlFile): \(error)\n".utf8))
        }
    }
    var lines = ["devicecred-server listening on \(baseURL)", "tenant id: \(configuration.tenantId)"]
    if configuration.usesDevSecret {
        lines.append("secret key: \(configuration.secretKey) (documented development secret)")
    } else {
        lines.append("secret key: custom (not printed)")
    }
    FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
}
