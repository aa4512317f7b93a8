internal import DeviceCredentialRelease
public import FoundationEssentials
public import HTTPTypes

/// Sends one HTTP request and returns the answer: the seam between the device client and the network.
///
/// Requests and responses are swift-http-types' `HTTPRequest` and `HTTPResponse` (the ones Hummingbird and
/// other server libraries re-export, so an app importing both sees one type), with the bodies beside them.
/// Their `HTTPFields` keep repeated fields, in order.
///
/// The default, ``CurlTransport``, uses the system libcurl (system CA store, `https_proxy`/`no_proxy`).
/// A transport throws `network_error` when no answer arrived (refused, reset, timed out, TLS failure) and
/// returns every answer that did arrive, whatever its status: the client interprets statuses.
public protocol HTTPTransport: Sendable {
    /// Sends `request` with `body` (nil: none, and then no `Content-Type` either) and returns the
    /// response and its body.
    func send(_ request: HTTPRequest, body: Data?) async throws -> (response: HTTPResponse, body: Data)
}

extension HTTPTransport {
    /// Sends `request` without a body.
    public func send(_ request: HTTPRequest) async throws -> (response: HTTPResponse, body: Data) {
        try await send(request, body: nil)
    }
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
