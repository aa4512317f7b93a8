import DeviceCredentialTestSupport
import Foundation
import Logging
import Testing

@testable import DeviceCredential

/// The device client against a server that answers to hurt: extreme numbers, control characters in its
/// words, redirects out of http(s). Nothing traps, nothing reaches a person raw, every failure has its code.
@Suite("Faults: a hostile server's answers")
struct HostileAnswerTests {
    private static let json = ["Content-Type": "application/json"]

    /// An enrolled client (a key in a memory store) talking to `apiURL`.
    private func makeClient(apiURL: String) throws -> DeviceCredentialClient {
        let store = InMemoryKeyStore()
        let profile = try DeviceProfile(name: "hostile", apiURL: apiURL, tenantID: "tenant", keyStore: .memory)
        try store.storeKey(try SoftwareSigningKey().keyMaterial(), for: profile.keyStoreItem)
        return try DeviceCredentialClient(
            profile: profile, keyStore: store, keyFactory: SoftwareKeyFactory(),
            transport: CurlTransport(configuration: HTTPTransportConfiguration(timeout: .seconds(5))),
            logger: Logger(label: "hostile", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// A fixture whose challenge nonce fails (so the client falls back to the plain GET) and whose
    /// pending challenge carries `expiresAt` as written.
    private func challengeFixture(expiresAt: String) throws -> HTTPFixture {
        try HTTPFixture { request in
            request.method == "POST"
                ? .respond(status: 500, headers: [:], body: "")
                : .respond(
                    status: 200, headers: Self.json,
                    body: #"{"userAuthenticatorId":"a","challengeId":"c1","actionCode":"signIn","expiresAt":"#
                        + expiresAt + "}")
        }
    }

    @Test(
        "an expiry that is not a plausible time is unknown, and the challenge is still read",
        arguments: ["1e300", "-1e300", String(repeating: "9", count: 400), "1e400", #""NaN""#, #""soon""#, "-1"])
    func extremeExpiry(expiresAt: String) async throws {
        let fixture = try challengeFixture(expiresAt: expiresAt)
        defer { fixture.stop() }
        let challenge = try #require(try await makeClient(apiURL: fixture.baseURL).getChallenge())
        #expect(challenge.challengeId == "c1")
        #expect(challenge.expiresAt == nil)
    }

    /// Found by `devicecred-fuzz device-response`: 400 levels of brackets (a kilobyte) took seconds of CPU
    /// per poll, each level costing Foundation's decoder more than the last.
    @Test("custom data nested deeper than 32 levels is refused, and 31 levels are read")
    func deeplyNestedCustom() async throws {
        func challenge(depth: Int) async throws -> AppChallenge? {
            let custom = String(repeating: "[", count: depth - 1) + "1" + String(repeating: "]", count: depth - 1)
            let fixture = try HTTPFixture { request in
                request.method == "POST"
                    ? .respond(status: 500, headers: [:], body: "")
                    : .respond(
                        status: 200, headers: Self.json,
                        body: #"{"userAuthenticatorId":"a","challengeId":"c1","custom":"# + custom + "}")
            }
            defer { fixture.stop() }
            return try await makeClient(apiURL: fixture.baseURL).getChallenge()
        }
        for depth in [32, 400] {
            let error = await #expect(throws: DeviceCredentialError.self) { _ = try await challenge(depth: depth) }
            #expect(error?.code == .invalidResponse)
            #expect(
                error?.message.hasPrefix("the server's answer is not the expected JSON (invalid value at custom.")
                    == true,
                "\(String(describing: error))")
        }
        var expected = JSONValue.number(1)
        for _ in 1..<31 { expected = .array([expected]) }
        #expect(try await challenge(depth: 31)?.custom == expected)
    }

    @Test("a plausible expiry in milliseconds is still read")
    func millisecondExpiry() async throws {
        let fixture = try challengeFixture(expiresAt: "1795915200000")
        defer { fixture.stop() }
        let challenge = try #require(try await makeClient(apiURL: fixture.baseURL).getChallenge())
        #expect(challenge.expiresAt == Date(timeIntervalSince1970: 1_795_915_200))
    }

    @Test("a credential date past year 9999 is unknown")
    func extremeCredentialDate() async throws {
        let fixture = try HTTPFixture(
            always: .respond(
                status: 200, headers: Self.json,
                body: #"{"userAuthenticatorId":"a","userId":"u","verifiedAt":"+275760-09-13T00:00:00Z","#
                    + #""expiresAt":"2026-11-29T02:20:31Z"}"#))
        defer { fixture.stop() }
        let credential = try await makeClient(apiURL: fixture.baseURL).getCredential()
        #expect(credential.verifiedAt == nil)
        #expect(credential.expiresAt == Date(timeIntervalSince1970: 1_795_918_831))
    }

    private static let hostile = #"x\u001b[1A\u001b[2K\rfrom 10.0.0.1\n\u009b2J"#

    @Test("the service's errorCode and errorDescription reach the message escaped")
    func hostileErrorDescription() async throws {
        let fixture = try HTTPFixture(
            always: .respond(
                status: 400, headers: Self.json,
                body: #"{"errorCode":"bad\u001b[2J","errorDescription":""# + Self.hostile + #""}"#))
        defer { fixture.stop() }
        let error = await #expect(throws: DeviceCredentialError.self) {
            _ = try await makeClient(apiURL: fixture.baseURL).getCredential()
        }
        let message = try #require(error?.message)
        #expect(message == #"x\e[1A\e[2K\rfrom 10.0.0.1\n\u{9B}2J"#)
        #expect(error?.code.rawValue == #"bad\e[2J"#)
        #expect(
            "\(try #require(error))".unicodeScalars.allSatisfy { $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) }
        )
    }

    @Test("a hostile Content-Type reaches the message escaped")
    func hostileContentType() async throws {
        let fixture = try HTTPFixture(
            always: .respond(status: 200, headers: ["Content-Type": "text/html\u{1B}[2J\u{9B}1A"], body: "{}"))
        defer { fixture.stop() }
        let error = await #expect(throws: DeviceCredentialError.self) {
            _ = try await makeClient(apiURL: fixture.baseURL).getCredential()
        }
        #expect(error?.code == .invalidResponse)
        #expect(error?.message.contains(#"text/html\e[2J"#) == true, "\(String(describing: error))")
        #expect(error?.message.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x9B } == false)
    }

    @Test(
        "a redirect out of http(s), or to plain http off loopback, is a network error, not a configuration error",
        arguments: ["file:///etc/passwd", "ftp://127.0.0.1/x", "http://192.0.2.1/v1/x", "gopher://127.0.0.1"])
    func redirectOutOfHTTP(location: String) async throws {
        let fixture = try HTTPFixture(always: .respond(status: 302, headers: ["Location": location], body: ""))
        defer { fixture.stop() }
        let error = await #expect(throws: DeviceCredentialError.self) {
            _ = try await makeClient(apiURL: fixture.baseURL).getCredential()
        }
        #expect(error?.code == .networkError, "\(String(describing: error))")
        #expect(error?.message.contains("refused a redirect") == true)
        #expect(fixture.requests.count == 1, "nothing else was fetched")
    }

    @Test("a network failure names the API URL")
    func networkErrorNamesTheURL() async throws {
        let fixture = try HTTPFixture(always: .reset)
        let url = fixture.baseURL
        fixture.stop()  // nobody listens on that port any more
        let error = await #expect(throws: DeviceCredentialError.self) {
            _ = try await makeClient(apiURL: url).getCredential()
        }
        #expect(error?.code == .networkError)
        #expect(error?.message.hasSuffix("; API URL \(url)") == true, "\(String(describing: error))")
    }

    @Test("a 404 from an API URL without /v1 says so; with /v1 it does not")
    func missingVersionHint() async throws {
        let fixture = try HTTPFixture(always: .respond(status: 404, headers: [:], body: "not here"))
        defer { fixture.stop() }
        let bare = "http://127.0.0.1:\(fixture.port)"
        let error = await #expect(throws: DeviceCredentialError.self) {
            _ = try await makeClient(apiURL: bare).getCredential()
        }
        #expect(error?.code == .notFound)
        #expect(error?.message.contains("does not end with /v1") == true, "\(String(describing: error))")
        let versioned = await #expect(throws: DeviceCredentialError.self) {
            _ = try await makeClient(apiURL: fixture.baseURL).getCredential()
        }
        #expect(versioned?.message.contains("/v1") == false)
    }
}
