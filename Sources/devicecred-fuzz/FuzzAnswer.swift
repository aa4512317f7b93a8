import DeviceCredential
import FoundationEssentials
import HTTPTypes

/// An HTTP answer written out in a fuzz input, as the server would send it:
///
/// ```
/// 200
/// Content-Type: application/json
/// Retry-After: 120
///
/// {"challengeId": "..."}
/// ```
///
/// The status line, header lines up to an empty line, then the body. A header the HTTP types refuse is left
/// out; an input without a status line is a 200 JSON answer whose body is the whole input.
struct FuzzAnswer {
    var response: HTTPResponse
    var body: Data

    init(_ bytes: ArraySlice<UInt8>) {
        var lines = bytes.split(separator: 0x0A, maxSplits: 1, omittingEmptySubsequences: false)
        guard let statusLine = lines.first, let status = Int(String(decoding: statusLine, as: UTF8.self)),
            (100...999).contains(status)
        else {
            response = HTTPResponse(status: .ok, headerFields: [.contentType: "application/json"])
            body = Data(bytes)
            return
        }
        var fields = HTTPFields()
        var rest = lines.count > 1 ? lines[1] : []
        while let newline = rest.firstIndex(of: 0x0A) {
            let line = rest[..<newline]
            rest = rest[(newline + 1)...]
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")),
                let name = HTTPField.Name(String(decoding: line[..<colon], as: UTF8.self))
            else { continue }
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self)
            fields.append(HTTPField(name: name, value: String(value.drop { $0 == " " })))
        }
        lines = []
        response = HTTPResponse(status: .init(code: status), headerFields: fields)
        body = Data(rest)
    }
}

/// A transport that gives every request the same answer, as a broken or hostile server might.
struct FuzzTransport: HTTPTransport {
    let answer: FuzzAnswer

    func send(_ request: HTTPRequest, body: Data?) async throws -> (response: HTTPResponse, body: Data) {
        (answer.response, answer.body)
    }
}
