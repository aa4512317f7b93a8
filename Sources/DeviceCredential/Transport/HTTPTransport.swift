internal import DeviceCredentialRelease
/// Sends one HTTP request and returns the answer: the seam between the device client and the network.
///
/// The default, ``CurlTransport``, uses the system libcurl (system CA store, `https_proxy`/`no_proxy`).
/// A transport throws `network_error` when no answer arrived (refused, reset, timed out, TLS failure) and
/// returns every answer that did arrive, whatever its status: the client interprets statuses.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns the response.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}

/// An HTTP request.
public struct HTTPRequest: Sendable {
    /// The method, e.g. `GET`.
    public var method: String
    /// The absolute URL.
    public var url: String
    /// Header fields in order.
    public var headers: [(name: String, value: String)]
    /// The body, or nil for none (then no `Content-Type` is sent either).
    public var body: [UInt8]?

    /// Creates a request.
    public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// An HTTP response.
public struct HTTPResponse: Sendable {
    /// The status code, e.g. 200.
    public var status: Int
    /// Header fields, names lowercased (the last value wins).
    public var headers: [String: String]
    /// The body (at most the transport's size cap).
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Limits every request obeys.
public struct HTTPTransportConfiguration: Sendable {
    /// The whole exchange, connecting included, must finish within this.
    public var timeout: Duration
    /// Connecting (TCP and TLS) must finish within this.
    public var connectTimeout: Duration
    /// Larger response bodies are refused with `invalid_response`.
    public var maximumResponseSize: Int
    /// Same-host redirects followed before giving up (redirects to another host are never followed).
    public var maximumRedirects: Int
    /// The `User-Agent` sent.
    public var userAgent: String

    /// The defaults: 15 s in all, 5 s to connect, 1 MiB of body, 3 same-host redirects.
    public init(
        timeout: Duration = .seconds(15),
        connectTimeout: Duration = .seconds(5),
        maximumResponseSize: Int = 1 << 20,
        maximumRedirects: Int = 3,
        userAgent: String = "DeviceCredential/\(DeviceCredentialVersion.string) (Linux)"
    ) {
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.maximumResponseSize = maximumResponseSize
        self.maximumRedirects = maximumRedirects
        self.userAgent = userAgent
    }
}

/// The library version.
public enum DeviceCredentialVersion {
    /// Semantic version of this library: the release's, which every executable prints too.
    public static let string = Release.version
}
