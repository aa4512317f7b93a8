internal import CDeviceCredentialCurl
import FoundationEssentials
import HTTPTypes
import Synchronization

/// Owns one libcurl easy handle. Not thread-safe: ``CurlTransport`` lends each handle to one request at a time.
final class CurlEasyHandle: @unchecked Sendable {
    // Only ever used by one request at a time (see CurlTransport's pool).
    private let pointer: UnsafeMutableRawPointer

    private static let globalInitialisation: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    init() throws {
        guard Self.globalInitialisation, let pointer = curl_easy_init() else {
            throw DeviceCredentialError(code: .networkError, message: "libcurl could not be initialised")
        }
        self.pointer = pointer
    }

    deinit { curl_easy_cleanup(pointer) }

    /// Performs one exchange: `request` sent to `url` (its scheme, authority and path) with `body`. Blocks
    /// the calling thread until the answer arrived, the limits tripped, or `cancellation` was set (then it
    /// throws `CancellationError`, within about a second).
    func perform(
        _ request: HTTPRequest, url: String, body: Data?, configuration: HTTPTransportConfiguration,
        cancellation: CurlCancellation
    ) throws -> (response: HTTPResponse, body: Data) {
        curl_easy_reset(pointer)  // keeps the connection cache, forgets the previous request's options
        let sink = ResponseSink(limit: configuration.maximumResponseSize, cancellation: cancellation)
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        // Repeated fields stay separate lines, in order; HTTPFields has already refused CR, LF and NUL.
        var fields = request.headerFields.map { "\($0.name.rawName): \($0.value)" }
        fields.append("Expect:")  // no 100-continue round trip
        if body == nil { fields.append("Content-Type:") }  // curl would add a form type to a bodiless POST
        for field in fields { headerList = curl_slist_append(headerList, field) }

        try set(CURLOPT_URL, url)
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_PROTOCOLS_STR, "http,https")
        try set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")  // redirects are followed by CurlTransport; never to file://
        try set(CURLOPT_FOLLOWLOCATION, 0)
        try set(CURLOPT_TIMEOUT_MS, Self.milliseconds(configuration.timeout))
        try set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(configuration.connectTimeout))
        try set(CURLOPT_MAXFILESIZE_LARGE, offset: curl_off_t(configuration.maximumResponseSize))
        try set(CURLOPT_USERAGENT, configuration.userAgent)
        try check(dc_curl_setopt_slist(pointer, CURLOPT_HTTPHEADER, headerList))
        switch (request.method, body) {
        case (.get, nil):
            try set(CURLOPT_HTTPGET, 1)
        case (let method, let body):
            let bytes = body ?? Data()
            try set(CURLOPT_CUSTOMREQUEST, method.rawValue)
            try set(CURLOPT_POSTFIELDSIZE_LARGE, offset: curl_off_t(bytes.count))
            try check(bytes.withUnsafeBytes { dc_curl_setopt_pointer(pointer, CURLOPT_COPYPOSTFIELDS, $0.baseAddress) })
            if bytes.isEmpty { try set(CURLOPT_COPYPOSTFIELDS, "") }
        }

        let unmanagedSink = Unmanaged.passRetained(sink)
        defer { unmanagedSink.release() }
        try check(dc_curl_setopt_write_function(pointer, CURLOPT_WRITEFUNCTION, ResponseSink.bodyCallback))
        try check(dc_curl_setopt_pointer(pointer, CURLOPT_WRITEDATA, unmanagedSink.toOpaque()))
        try check(dc_curl_setopt_write_function(pointer, CURLOPT_HEADERFUNCTION, ResponseSink.headerCallback))
        try check(dc_curl_setopt_pointer(pointer, CURLOPT_HEADERDATA, unmanagedSink.toOpaque()))
        // The progress callback is libcurl's way to stop a transfer from outside: it runs at least about
        // once a second, also while the server is silent.
        try set(CURLOPT_NOPROGRESS, 0)
        try check(dc_curl_setopt_xferinfo_function(pointer, ResponseSink.progressCallback))
        try check(dc_curl_setopt_pointer(pointer, CURLOPT_XFERINFODATA, unmanagedSink.toOpaque()))

        let result = curl_easy_perform(pointer)
        if result == CURLE_ABORTED_BY_CALLBACK, cancellation.isCancelled { throw CancellationError() }
        if sink.exceededLimit || result == CURLE_FILESIZE_EXCEEDED {
            throw DeviceCredentialError(
                code: .invalidResponse,
                message: "the response is larger than \(configuration.maximumResponseSize) bytes")
        }
        guard result == CURLE_OK else { throw Self.networkError(result) }
        var status = 0
        try check(dc_curl_getinfo_long(pointer, CURLINFO_RESPONSE_CODE, &status))
        guard (100...999).contains(status) else {  // HTTPResponse.Status traps outside 0...999
            throw DeviceCredentialError(code: .invalidResponse, message: "the server answered no valid HTTP status")
        }
        return (HTTPResponse(status: .init(code: status), headerFields: sink.headers), Data(sink.body))
    }

    private func set(_ option: CURLoption, _ value: Int) throws {
        try check(dc_curl_setopt_long(pointer, option, value))
    }

    private func set(_ option: CURLoption, offset value: curl_off_t) throws {
        try check(dc_curl_setopt_off(pointer, option, value))
    }

    private func set(_ option: CURLoption, _ value: String) throws {
        // Strings are copied by libcurl (all options used here since 7.17), so the C string may go.
        try check(value.withCString { dc_curl_setopt_string(pointer, option, $0) })
    }

    private func check(_ code: CURLcode) throws {
        guard code == CURLE_OK else {
            throw DeviceCredentialError(
                code: .networkError, message: "libcurl refused an option: \(Self.describe(code))")
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    private static func describe(_ code: CURLcode) -> String { String(cString: curl_easy_strerror(code)) }

    /// The one place libcurl's failures become errors.
    private static func networkError(_ code: CURLcode) -> DeviceCredentialError {
        let what =
            switch code {
            case CURLE_OPERATION_TIMEDOUT: "the server did not answer in time"
            case CURLE_COULDNT_CONNECT: "the server refused the connection"
            case CURLE_COULDNT_RESOLVE_HOST: "the server's name could not be resolved"
            case CURLE_COULDNT_RESOLVE_PROXY: "the proxy's name could not be resolved"
            case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING: "the connection was closed or reset"
            case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CACERT_BADFILE:
                "the TLS connection failed"
            default: "the request failed"
            }
        return DeviceCredentialError(code: .networkError, message: "\(what) (\(describe(code)))")
    }
}

/// Set from another thread to stop a running exchange (a cancelled task).
final class CurlCancellation: Sendable {
    private let cancelled = Atomic<Bool>(false)

    var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    func cancel() { cancelled.store(true, ordering: .releasing) }
}

/// Collects one response's headers and body, refusing bodies past the limit.
private final class ResponseSink {
    let limit: Int
    let cancellation: CurlCancellation
    var body: [UInt8] = []
    var headers = HTTPFields()
    var exceededLimit = false

    init(limit: Int, cancellation: CurlCancellation) {
        self.limit = limit
        self.cancellation = cancellation
    }

    static let progressCallback: curl_xferinfo_callback = { context, _, _, _, _ in
        let sink = Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue()
        return sink.cancellation.isCancelled ? 1 : 0  // non-zero aborts with CURLE_ABORTED_BY_CALLBACK
    }

    static let bodyCallback: curl_write_callback = { data, size, count, context in
        let sink = Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue()
        let length = size * count
        guard sink.body.count + length <= sink.limit else {
            sink.exceededLimit = true
            return 0  // makes libcurl stop with CURLE_WRITE_ERROR
        }
        data.map { sink.body.append(contentsOf: UnsafeRawBufferPointer(start: $0, count: length)) }
        return length
    }

    static let headerCallback: curl_write_callback = { data, size, count, context in
        let sink = Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue()
        let length = size * count
        guard let data else { return length }
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            sink.headers = [:]  // a new response (after 100 Continue): forget the previous one's fields
        } else if let colon = line.firstIndex(of: ":"), let name = HTTPField.Name(String(line[..<colon])) {
            // Appended, not set: a repeated field (two Retry-After, several Set-Cookie) keeps every value.
            // Lenient: control characters stay as they came, for DisplayText to show escaped, not as spaces.
            let value = line[line.index(after: colon)...].trimmingWhitespace()
            sink.headers.append(HTTPField(name: name, lenientValue: value.utf8))
        }
        return length
    }
}
