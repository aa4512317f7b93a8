import FoundationEssentials
import HTTPTypes

/// The protocol's exact strings (PROTOCOL.md sections 1 and 2).
enum ProtocolEncoding {
    /// `Basic base64("<tenantId>:")`, standard alphabet, padded.
    static func basicAuthorization(tenantID: String) -> String {
        "Basic " + Base64.encode(Array((tenantID + ":").utf8))
    }

    /// The message signed to remove a credential: the 10-minute window number rendered as a Double,
    /// e.g. `2993192.0` at t = 1795915200.
    static func removeWindowMessage(unixSeconds: Double) -> String {
        String((unixSeconds / 600).rounded(.down))
    }
}

/// Turns HTTP answers into values or into the protocol's errors.
enum ResponseInterpreter {
    /// Decodes the `application/json` body of a 200 answer (other answers are turned into errors by
    /// ``error(for:now:)`` before, where the request was sent).
    static func decode<Body: Decodable>(_ type: Body.Type, from answer: (response: HTTPResponse, body: Data)) throws
        -> Body
    {
        let (response, body) = answer
        let mediaType = response.headerFields[.contentType]?.split(separator: ";").first.map {
            String($0.filter { $0 != " " && $0 != "\t" }).lowercased()
        }
        guard mediaType == "application/json" else {
            throw DeviceCredentialError(
                code: .invalidResponse,
                message: "the server answered "
                    + (response.headerFields[.contentType].map { DisplayText.terminal($0, limit: 100) }
                        ?? "no content type")
                    + ", not JSON",
                httpStatus: 200)
        }
        guard !body.isEmpty else {
            throw DeviceCredentialError(code: .invalidResponse, message: "the server answered an empty body")
        }
        do {
            return try JSONDecoder().decode(Body.self, from: body)
        } catch {
            throw DeviceCredentialError(
                code: .invalidResponse,
                message: "the server's answer is not the expected JSON (\(Self.describe(error)))")
        }
    }

    /// The error a non-200 answer stands for: the service's `errorCode` when it sent one. `now` measures
    /// a `Retry-After` date. The service's words reach the message only through `DisplayText.terminal`:
    /// a person reads it on a terminal or in a log.
    static func error(for response: HTTPResponse, body: Data, now: Date) -> DeviceCredentialError {
        let errorBody = try? JSONDecoder().decode(Wire.ErrorBody.self, from: body)
        let retryAfter = Self.retryAfter(in: response.headerFields, now: now)
        let status = response.status.code
        if let serviceCode = errorBody?.errorCode ?? errorBody?.error, !serviceCode.isEmpty {
            return DeviceCredentialError(
                code: .init(rawValue: DisplayText.terminal(serviceCode, limit: 100)),
                message: DisplayText.terminal(errorBody?.errorDescription ?? serviceCode, limit: 300),
                httpStatus: status, retryAfter: retryAfter, errorCode: serviceCode)
        }
        let (code, message): (DeviceCredentialError.Code, String) =
            switch status {
            case 400: (.invalidRequest, "the server rejected the request")
            case 401, 403: (.unauthorized, "the server refused the credentials")
            case 404: (.notFound, "the server does not know this endpoint or object")
            case 429: (.tooManyRequests, "the server asks to slow down")
            case 500...599: (.serverError, "the server failed (HTTP \(status))")
            default: (.invalidResponse, "unexpected HTTP status \(status)")
            }
        return DeviceCredentialError(code: code, message: message, httpStatus: status, retryAfter: retryAfter)
    }

    /// The longest delay any `Retry-After` field asks for. The field is a singleton, but a proxy may add
    /// its own: read each one apart (an HTTP date has a comma, so joined values would read as neither),
    /// and wait for the longest, so no one who asked to be left alone is polled early.
    private static func retryAfter(in fields: HTTPFields, now: Date) -> Duration? {
        fields[values: .retryAfter].compactMap { RetryAfter.delay($0, now: now) }.max()
    }

    /// Names the missing or mistyped field, without echoing values (which may be secrets).
    private static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "unreadable" }
        switch error {
        case .keyNotFound(let key, _): return "missing \(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "wrong type at \(DisplayText.terminal(path, limit: 100))"
        case .dataCorrupted(let context) where context.codingPath.isEmpty: return "malformed JSON"
        case .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "invalid value at \(DisplayText.terminal(path, limit: 100))"
        @unknown default: return "unreadable"
        }
    }
}
