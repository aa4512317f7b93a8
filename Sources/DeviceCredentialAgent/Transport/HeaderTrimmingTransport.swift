import DeviceCredential

/// Wraps a transport and trims header values of a trailing CR LF.
///
/// Works around a DeviceCredential 0.1.0 bug: `CurlTransport` keeps the `\r\n` ending of each header
/// line (Swift reads it as one `Character`, which its trimming misses), so `Content-Type` never equals
/// `application/json` and every answer is refused as `invalid_response`. Harmless once fixed there.
public struct HeaderTrimmingTransport: HTTPTransport {
    private let base: any HTTPTransport

    /// Wraps `base` (default: libcurl).
    public init(_ base: any HTTPTransport = CurlTransport()) {
        self.base = base
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var response = try await base.send(request)
        response.headers = response.headers.mapValues { $0.trimmingWhitespace() }
        return response
    }
}
