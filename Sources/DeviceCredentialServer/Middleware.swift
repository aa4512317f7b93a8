import Foundation
import Hummingbird
import Logging

/// Turns every failure, the router's own 404 included, into the contract's JSON error shape.
struct JSONErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return JSONBody.errorResponse(error)
        } catch let error as any HTTPResponseError where error.status == .notFound {
            return JSONBody.errorResponse(
                .notFound("no route for \(request.method) \(request.uri.path)"))
        } catch let error as any HTTPResponseError {
            let code: APIError.Code = error.status.code >= 500 ? .internalError : .invalidRequest
            return JSONBody.errorResponse(APIError(code, status: error.status, error.status.reasonPhrase))
        } catch {
            logger.error("request failed", metadata: ["error": "\(type(of: error))"])
            return JSONBody.errorResponse(APIError(.internalError, status: .internalServerError, "internal error"))
        }
    }
}

/// One structured log line per request: method, path without query, status and duration.
/// Headers, query strings and bodies are left out: they carry tokens, keys and signatures.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        logger.info(
            "request",
            metadata: [
                "method": "\(request.method.rawValue)",
                "path": "\(request.uri.path)",
                "status": "\(response.status.code)",
                "durationMs": "\(String(format: "%.2f", milliseconds))",
            ]
        )
        return response
    }
}
