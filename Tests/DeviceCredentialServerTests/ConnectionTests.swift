import DeviceCredentialServer
import Foundation
import Testing

/// What a client can do to a connection: leave it idle, or send less than it announced.
@Suite struct ConnectionTests {
    @Test func idleConnectionsAreClosedAndTheServerStillAnswers() async throws {
        try await TestServer { $0.idleTimeout = 0.5 }.run { harness in
            let port = try #require(harness.client.port)
            // Silent ones, and one that stops in the middle of its request head (a slow-loris client).
            let idle = try (0..<20).map { _ in try RawConnection(port: port) }
            let slow = try RawConnection(port: port)
            try slow.send("GET /v1/users/alice HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            for connection in idle + [slow] {
                #expect(try await connection.readUntilClosed().isEmpty)
            }
            // A request on a fresh connection is still answered. (The harness's own connection sat idle too,
            // so the server closed it as well.)
            let fresh = try RawConnection(port: port)
            let authorization = "Basic " + Data("\(devSecret):".utf8).base64EncodedString()
            try fresh.send(
                "GET /v1/users/alice HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: \(authorization)\r\n"
                    + "Connection: close\r\n\r\n")
            let response = String(decoding: try await fresh.readUntilClosed(), as: UTF8.self)
            #expect(response.hasPrefix("HTTP/1.1 200"), "\(response)")
        }
    }

    @Test func theIdleTimeoutDefaultsToAMinute() {
        #expect(ServerConfiguration().idleTimeout == 60)
    }

    /// The body stops before its `Content-Length` and the client half-closes: a client error, not a 500.
    @Test func aTruncatedBodyWithAHalfCloseIsInvalidRequest() async throws {
        try await withServer { harness in
            let port = try #require(harness.client.port)
            let connection = try RawConnection(port: port)
            let authorization = "Basic " + Data("\(devSecret):".utf8).base64EncodedString()
            try connection.send(
                "POST /v1/users/alice/actions/signIn HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Authorization: \(authorization)\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                    + #"{"idempotencyKey": "trunc"#)
            connection.halfClose()
            let response = String(decoding: try await connection.readUntilClosed(), as: UTF8.self)
            #expect(response.hasPrefix("HTTP/1.1 400"), "\(response)")
            #expect(response.contains(#""errorCode":"invalid_request""#))
            // Nothing was stored.
            let after = try await harness.send(.get, "users/alice/actions/signIn/trunc", auth: .secret())
            #expect(after.isError("not_found"))
        }
    }
}
