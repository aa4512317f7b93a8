import Foundation
public import Hummingbird
public import Logging

/// Builds the server: storage from the configuration, then the router, on `host:port`.
public func buildApplication(_ configuration: ServerConfiguration) async throws -> some ApplicationProtocol {
    try configuration.validate()
    let logger =
        configuration.logger
        ?? {
            var logger = Logger(label: "devicecred-server")
            logger.logLevel = configuration.logLevel
            return logger
        }()
    let repository: any Repository =
        if let path = configuration.databasePath { try SQLiteRepository(path: path) } else { MemoryRepository() }
    let router = buildRouter(configuration: configuration, repository: repository, logger: logger)
    let onListening = configuration.onListening
    let host = configuration.host
    return Application(
        router: router,
        // validate() bounded the timeout to a day, so the nanoseconds fit an Int64.
        server: .http1(configuration: .init(idleTimeout: .nanoseconds(Int64(configuration.idleTimeout * 1e9)))),
        configuration: .init(address: .hostname(host, port: configuration.port), serverName: "devicecred-server"),
        onServerRunning: { channel in
            if let onListening, let port = channel.localAddress?.port { await onListening(host, port) }
        },
        logger: logger
    )
}

/// All routes under `/v1`, behind the error and request-log middleware.
public func buildRouter(configuration: ServerConfiguration, repository: any Repository, logger: Logger)
    -> Router<BasicRequestContext>
{
    let services = ServerServices(configuration: configuration, repository: repository, logger: logger)
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: RequestLogMiddleware(logger: logger))
    router.add(middleware: JSONErrorMiddleware(logger: logger))
    var routes = RouteTable()
    ServerAPIController(services: services).addRoutes(to: &routes)
    ClientAPIController(services: services).addRoutes(to: &routes)
    DeviceController(services: services).addRoutes(to: &routes)
    QRCodeController(services: services).addRoutes(to: &routes)
    InAppController(services: services).addRoutes(to: &routes)
    HostedPageController(services: services).addRoutes(to: &routes)
    routes.install(on: router, prefix: "/v1")
    return router
}
