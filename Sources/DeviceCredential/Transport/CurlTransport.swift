import DeviceCredentialLocking
import Dispatch
public import FoundationEssentials
public import HTTPTypes

/// The default transport: the system libcurl (linked against the system OpenSSL), with the system CA
/// store and the usual proxy variables (`https_proxy`, `no_proxy`...), which libcurl reads itself.
///
/// Refuses plain `http` except to loopback, never follows a redirect to another host, caps response
/// bodies, and bounds every exchange with ``HTTPTransportConfiguration/timeout``; cancelling the calling
/// task stops an exchange within about a second. Handles (and their
/// open connections) are pooled for reuse, which keeps an idle agent to one connection per server.
public final class CurlTransport: HTTPTransport {
    /// The limits every request obeys.
    public let configuration: HTTPTransportConfiguration
    private let idleHandles = Locked<[CurlEasyHandle]>([])

    /// Creates a transport with `configuration`.
    public init(configuration: HTTPTransportConfiguration = HTTPTransportConfiguration()) {
        self.configuration = configuration
    }

    public func send(_ request: HTTPRequest, body: Data?) async throws -> (response: HTTPResponse, body: Data) {
        var current = request
        var body = body
        var origin = try APIURL(Self.url(of: request))
        for _ in 0...configuration.maximumRedirects {
            let answer = try await perform(current, url: try Self.url(of: current), body: body)
            guard [301, 302, 303, 307, 308].contains(answer.response.status.code),
                let location = answer.response.headerFields[.location]
            else {
                return answer
            }
            // A redirect is the server's answer, not the configuration: one to file:// or to plain http
            // elsewhere is a network failure (as one to another host), never an invalid configuration.
            guard let target = try? APIURL(Self.resolve(location, against: origin)), target.isSameOrigin(as: origin),
                let targetURL = URL(string: target.string)
            else {
                throw DeviceCredentialError(
                    code: .networkError,
                    message: "refused a redirect from \(origin.host) to another host or to a scheme other than http(s)")
            }
            current.url = targetURL
            if answer.response.status == .seeOther {
                current.method = .get
                body = nil
            }
            origin = target
        }
        throw DeviceCredentialError(code: .networkError, message: "too many redirects")
    }

    /// Runs the blocking libcurl exchange on a Dispatch worker, off the cooperative thread pool.
    /// Cancelling the task stops the exchange (`CancellationError`) instead of waiting for the timeout.
    private func perform(_ request: HTTPRequest, url: String, body: Data?) async throws -> (
        response: HTTPResponse, body: Data
    ) {
        try Task.checkCancellation()
        let handle = try idleHandles.withLock { $0.popLast() } ?? CurlEasyHandle()
        let configuration = self.configuration
        let cancellation = CurlCancellation()
        // The answer comes back through a lock, not in the continuation: the continuation orders the
        // worker's writes before this task's reads, but when the worker resumes before the task reaches
        // `await` the runtime does not tell ThreadSanitizer, which then reported the response as a race
        // (Tests/TSanProbes/ContinuationProbe.swift). It does see the lock's ordering.
        let answer = Locked<Result<(response: HTTPResponse, body: Data), any Error>?>(nil)
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    let result = Result {
                        try handle.perform(
                            request, url: url, body: body, configuration: configuration, cancellation: cancellation)
                    }
                    answer.withLock { $0 = result }
                    continuation.resume()
                }
            }
        } onCancel: {
            cancellation.cancel()
        }
        let response = try answer.withLock { $0.take() }!.get()
        idleHandles.withLock { if $0.count < 4 { $0.append(handle) } }
        return response
    }

    /// The absolute URL of `request`, from its scheme, authority and path pseudo-header fields.
    private static func url(of request: HTTPRequest) throws -> String {
        guard let scheme = request.scheme, let authority = request.authority, let path = request.path else {
            throw DeviceCredentialError(
                code: .invalidConfiguration, message: "the request has no scheme, authority or path")
        }
        return "\(scheme)://\(authority)\(path)"
    }

    /// An absolute URL for a `Location` value: absolute already, or an absolute path on `origin`.
    private static func resolve(_ location: String, against origin: APIURL) -> String {
        if location.hasPrefix("/") {
            let port = origin.port.map { ":\($0)" } ?? ""
            return "\(origin.scheme)://\(origin.host)\(port)\(location)"
        }
        return location
    }
}
