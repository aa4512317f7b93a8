import Foundation
import Hummingbird

/// Reading an HTML form post (`application/x-www-form-urlencoded`), within the same size limit as JSON.
package enum FormBody {
    static func decode<Body: Decodable>(_ type: Body.Type, from request: Request) async throws -> Body {
        try decode(type, from: Array(try await JSONBody.collect(request).readableBytesView))
    }

    /// Decodes a collected form body.
    package static func decode<Body: Decodable>(_ type: Body.Type, from body: [UInt8]) throws -> Body {
        guard let text = String(validating: body, as: UTF8.self) else {
            throw APIError.invalidRequest("the form is not UTF-8")
        }
        do {
            return try URLEncodedFormDecoder().decode(Body.self, from: text)
        } catch let error as DecodingError {
            throw APIError.invalidRequest(DecodingFailure.describe(error))
        } catch {
            throw APIError.invalidRequest("the form could not be read")
        }
    }
}
