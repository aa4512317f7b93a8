package import Foundation
import Hummingbird

/// Reading request bodies and writing responses, in the one JSON shape the contract allows.
package enum JSONBody {
    /// Bodies above this are refused with 413 before they are parsed.
    static let maximumSize = 64 * 1024

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// A 200 answer with `Content-Type: application/json` exactly (no charset: the Python SDK needs that).
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    static func errorResponse(_ error: APIError) -> Response {
        let body = ["error": error.code.rawValue, "errorCode": error.code.rawValue, "errorDescription": error.message]
        return (try? response(body, status: error.status)) ?? Response(status: error.status)
    }

    /// Reads at most `maximumSize` bytes of the body.
    static func collect(_ request: Request) async throws -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maximumSize {
            throw APIError.tooLarge()
        }
        var collected = ByteBuffer()
        do {
            for try await var part in request.body {
                guard collected.readableBytes + part.readableBytes <= maximumSize else { throw APIError.tooLarge() }
                collected.writeBuffer(&part)
            }
        } catch let error as APIError {
            throw error
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            // The connection ended (or broke) before the body was complete: the client's doing, not ours.
            throw APIError.invalidRequest("the body ended before the length the request announced")
        }
        return collected
    }

    /// Decodes the body as `Body`; an empty body decodes as `{}` so all-optional bodies may be left out.
    static func decode<Body: Decodable>(_ type: Body.Type, from request: Request) async throws -> Body {
        try decode(type, from: Data(buffer: try await collect(request)))
    }

    /// Decodes a collected body, as the route reading the request does.
    package static func decode<Body: Decodable>(_ type: Body.Type, from body: Data) throws -> Body {
        var data = body
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { data = Data("{}".utf8) }
        guard String(data: data, encoding: .utf8) != nil else {
            throw APIError.invalidRequest("the body is not UTF-8")
        }
        do {
            return try JSONDecoder().decode(Body.self, from: data)
        } catch let error as DecodingError {
            throw APIError.invalidRequest(DecodingFailure.describe(error))
        }
    }
}

extension APIError {
    static func tooLarge() -> APIError {
        .init(.invalidRequest, status: .contentTooLarge, "the body is larger than \(JSONBody.maximumSize) bytes")
    }
}

/// Turns a `DecodingError` into a sentence naming the field.
enum DecodingFailure {
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field '\(path(context.codingPath + [key]))'"
        case .typeMismatch(let type, let context):
            return "field '\(path(context.codingPath))' must be \(name(of: type))"
        case .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' must be \(name(of: type)), not null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "the body is not valid JSON" }
            return "field '\(path(context.codingPath))' has an invalid value: \(context.debugDescription)"
        @unknown default:
            return "the body could not be decoded"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    private static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Double.Type: return "a number"
        default: return "an object of the expected shape"
        }
    }
}
