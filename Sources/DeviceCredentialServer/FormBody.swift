import Foundation
import Hummingbird

/// Reading an HTML form post (`application/x-www-form-urlencoded`), within the same size limit as JSON.
enum FormBody {
    static func decode<Body: Decodable>(_ type: Body.Type, from request: Request) async throws -> Body {
        let buffer = try await JSONBody.collect(request)
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
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
