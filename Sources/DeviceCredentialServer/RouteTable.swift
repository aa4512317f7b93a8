import Hummingbird

/// The routes under `/v1`, collected first so every known path can answer 405 to the methods it lacks.
struct RouteTable {
    typealias Handler = @Sendable (Request, BasicRequestContext) async throws -> Response

    private var routes: [(method: HTTPRequest.Method, path: String, handler: Handler)] = []

    mutating func add(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        routes.append((method, path, handler))
    }

    func install(on router: Router<BasicRequestContext>, prefix: String) {
        let allMethods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete]
        var methodsByPath: [String: Set<HTTPRequest.Method>] = [:]
        var pathOrder: [String] = []
        for route in routes {
            let path = "\(prefix)/\(route.path)"
            router.on(RouterPath(path), method: route.method, use: route.handler)
            if methodsByPath[path] == nil { pathOrder.append(path) }
            methodsByPath[path, default: []].insert(route.method)
        }
        for path in pathOrder {
            let allowed = methodsByPath[path, default: []]
            for method in allMethods where !allowed.contains(method) {
                let names = allMethods.filter(allowed.contains).map(\.rawValue).joined(separator: ", ")
                router.on(RouterPath(path), method: method) { _, _ -> Response in
                    throw APIError(
                        .invalidRequest, status: .methodNotAllowed, "\(method) is not allowed here: use \(names)")
                }
            }
        }
    }
}
