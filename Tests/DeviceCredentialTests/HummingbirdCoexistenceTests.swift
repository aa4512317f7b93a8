import DeviceCredential
import Hummingbird
import HummingbirdTesting
import Testing

/// An app that embeds the library and serves HTTP with Hummingbird imports both: `HTTPRequest`,
/// `HTTPResponse` and `HTTPFields` must name one type (swift-http-types'), not two. This file imports
/// no HTTPTypes itself, so it compiles only while the library's transport uses the types Hummingbird
/// re-exports. Hummingbird is a real server here, answering the library's transport over loopback.
@Suite("Transport: the HTTP types an app shares with Hummingbird")
struct HummingbirdCoexistenceTests {
    @Test("repeated fields survive both ways, between the library's transport and a Hummingbird server")
    func repeatedFieldsBothWays() async throws {
        let router = Router()
        router.get("fields") { request, _ -> Response in
            var fields: HTTPFields = [.setCookie: "session=a; Path=/", .contentType: "text/plain"]
            fields.append(.init(name: .setCookie, value: "theme=dark"))
            let languages = request.headers[values: .acceptLanguage].joined(separator: "|")
            return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(string: languages)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            var request = HTTPRequest(method: .get, scheme: "http", authority: "127.0.0.1:\(port)", path: "/fields")
            request.headerFields.append(.init(name: .acceptLanguage, value: "de"))
            request.headerFields.append(.init(name: .acceptLanguage, value: "en;q=0.5"))
            let transport: any HTTPTransport = CurlTransport()
            let (response, body): (HTTPResponse, _) = try await transport.send(request)
            #expect(response.status == .ok)
            #expect(response.headerFields[values: .setCookie] == ["session=a; Path=/", "theme=dark"])
            #expect(String(decoding: body, as: UTF8.self) == "de|en;q=0.5")
        }
    }
}
