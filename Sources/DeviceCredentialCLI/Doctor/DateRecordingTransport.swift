import DeviceCredential
import DeviceCredentialLocking
import FoundationEssentials
import HTTPTypes

/// Passes requests to another transport and keeps the `Date` header of the last answer, so doctor can
/// measure the clock's offset from the server with the request it makes anyway.
final class DateRecordingTransport: HTTPTransport {
    private let wrapped: any HTTPTransport
    private let lastDate = Locked<String?>(nil)

    init(_ wrapped: any HTTPTransport) {
        self.wrapped = wrapped
    }

    /// The raw `Date` header of the last answer that had one.
    var lastDateHeader: String? { lastDate.withLock { $0 } }

    func send(_ request: HTTPRequest, body: Data?) async throws -> (response: HTTPResponse, body: Data) {
        let answer = try await wrapped.send(request, body: body)
        if let date = answer.response.headerFields[.date] { lastDate.withLock { $0 = date } }
        return answer
    }
}
