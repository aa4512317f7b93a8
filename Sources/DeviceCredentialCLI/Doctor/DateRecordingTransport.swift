import DeviceCredential
import Synchronization

/// Passes requests to another transport and keeps the `Date` header of the last answer, so doctor can
/// measure the clock's offset from the server with the request it makes anyway.
final class DateRecordingTransport: HTTPTransport {
    private let wrapped: any HTTPTransport
    private let lastDate = Mutex<String?>(nil)

    init(_ wrapped: any HTTPTransport) {
        self.wrapped = wrapped
    }

    /// The raw `Date` header of the last answer that had one.
    var lastDateHeader: String? { lastDate.withLock { $0 } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let response = try await wrapped.send(request)
        if let date = response.header("Date") { lastDate.withLock { $0 = date } }
        return response
    }
}
