import DeviceCredentialTestSupport
import Foundation
import Logging
import Testing

@testable import DeviceCredential

/// The device client against a server that misbehaves on purpose. Every fault gives its own error,
/// and the key survives every one of them.
@Suite("Faults: a misbehaving server")
struct FaultInjectionTests {
    /// An enrolled client (a key already in its store) talking to `fixture`, with a short timeout.
    private func makeClient(
        for fixture: HTTPFixture, timeout: Duration = .seconds(5), now: @escaping @Sendable () -> Date = { Date() }
    ) throws -> (DeviceCredentialClient, InMemoryKeyStore, DevicePublicKey) {
        let store = InMemoryKeyStore()
        let profile = try DeviceProfile(name: "faults", apiURL: fixture.baseURL, tenantID: "tenant", keyStore: .memory)
        let key = try SoftwareSigningKey()
        try store.storeKey(try key.keyMaterial(), for: profile.keyStoreItem)
        let transport = CurlTransport(configuration: HTTPTransportConfiguration(timeout: timeout))
        let client = try DeviceCredentialClient(
            profile: profile, keyStore: store, keyFactory: SoftwareKeyFactory(), transport: transport,
            logger: Logger(label: "faults", factory: { _ in SwiftLogNoOpLogHandler() }), now: now)
        return (client, store, key.publicKey)
    }

    private func expectKeySurvived(_ store: InMemoryKeyStore, _ publicKey: DevicePublicKey) throws {
        let material = try #require(try store.loadKey(profile: "faults"), "the key was lost")
        #expect(try SoftwareKeyFactory().loadKey(from: material).publicKey == publicKey)
    }

    private static let json = ["Content-Type": "application/json"]

    @Test("HTTP 500 without a body is server_error; remove keeps the key")
    func serverError() async throws {
        let fixture = try HTTPFixture(always: .respond(status: 500, headers: [:], body: "oops"))
        defer { fixture.stop() }
        let (client, store, publicKey) = try makeClient(for: fixture)
        do {
            _ = try await client.getCredential()
            Issue.record("a 500 did not throw")
        } catch let error as DeviceCredentialError {
            #expect(error.code == .serverError)
            #expect(error.httpStatus == 500)
            #expect(error.errorCode == nil, "the service sent no errorCode")
        }
        await #expect(throws: DeviceCredentialError(code: .serverError, message: "")) {
            try await client.removeCredential()
        }
        try expectKeySurvived(store, publicKey)
    }

    @Test("HTTP 429 is too_many_requests with the Retry-After delay")
    func tooManyRequests() async throws {
        let fixture = try HTTPFixture(
            always: .respond(
                status: 429, headers: ["Retry-After": "7", "Content-Type": "application/json"],
                body: #"{"error":"too_many_requests","errorCode":"too_many_requests","errorDescription":"slow down"}"#))
        defer { fixture.stop() }
        let (client, store, publicKey) = try makeClient(for: fixture)
        do {
            _ = try await client.updateChallenge(challengeId: "c1", approved: true)
            Issue.record("a 429 did not throw")
        } catch let error as DeviceCredentialError {
            #expect(error.code == .tooManyRequests)
            #expect(error.retryAfter == .seconds(7))
            #expect(error.httpStatus == 429)
            #expect(error.errorCode == "too_many_requests")
            #expect(error.message == "slow down")
        }
        await #expect(throws: DeviceCredentialError(code: .tooManyRequests, message: "")) {
            try await client.removeCredential()
        }
        try expectKeySurvived(store, publicKey)
    }

    @Test("two Retry-After fields (a proxy's and the service's): each is read, and the longest is honoured")
    func twoRetryAfterFields() async throws {
        // 1994-11-06T08:49:37Z, the RFC's example date: the date field asks for two minutes.
        let now = Date(timeIntervalSince1970: 784_111_777)
        let fixture = try HTTPFixture(
            always: .answer(
                status: 429,
                fields: [
                    ("Retry-After", "Sun, 06 Nov 1994 08:51:37 GMT"), ("Content-Type", "application/json"),
                    ("Retry-After", "30"),
                ],
                body: #"{"error":"too_many_requests","errorCode":"too_many_requests"}"#))
        defer { fixture.stop() }
        let (client, store, publicKey) = try makeClient(for: fixture, now: { now })
        do {
            _ = try await client.getCredential()
            Issue.record("a 429 did not throw")
        } catch let error as DeviceCredentialError {
            #expect(error.code == .tooManyRequests)
            // Not the last field's 30 s, and not nothing (the two joined with a comma read as neither).
            #expect(error.retryAfter == .seconds(120))
        }
        try expectKeySurvived(store, publicKey)
    }

    @Test("a Retry-After HTTP date is a delay measured on the client's clock")
    func tooManyRequestsUntilADate() async throws {
        let fixture = try HTTPFixture(
            always: .respond(
                status: 429, headers: ["Retry-After": "Sun, 06 Nov 1994 08:50:07 GMT"],
                body: #"{"errorCode":"too_many_requests"}"#))
        defer { fixture.stop() }
        // The client's clock says 08:49:37 that day: 30 s before the date.
        let (client, _, _) = try makeClient(for: fixture, now: { Date(timeIntervalSince1970: 784_111_777) })
        let error = await #expect(throws: DeviceCredentialError.self) {
            _ = try await client.getChallenge()
        }
        #expect(error?.code == .tooManyRequests)
        #expect(error?.retryAfter == .seconds(30))
    }

    @Test("garbage JSON is invalid_response")
    func garbageJSON() async throws {
        let fixture = try HTTPFixture(always: .respond(status: 200, headers: Self.json, body: "{not json"))
        defer { fixture.stop() }
        let (client, store, publicKey) = try makeClient(for: fixture)
        await #expect(throws: DeviceCredentialError(code: .invalidResponse, message: "")) {
            try await client.getCredential()
        }
        await #expect(throws: DeviceCredentialError(code: .invalidResponse, message: "")) {
            try await client.removeCredential()
        }
        try expectKeySurvived(store, publicKey)
    }

    @Test("JSON without a required field is invalid_response naming the field")
    func missingField() async throws {
        let fixture = try HTTPFixture(always: .respond(status: 200, headers: Self.json, body: #"{"userId":"u"}"#))
        defer { fixture.stop() }
        let (client, _, _) = try makeClient(for: fixture)
        do {
            _ = try await client.getCredential()
            Issue.record("a body without userAuthenticatorId was accepted")
        } catch let error as DeviceCredentialError {
            #expect(error.code == .invalidResponse)
            #expect(error.message.contains("userAuthenticatorId"))
        }
    }

    @Test("an empty 200 body is invalid_response")
    func emptyBody() async throws {
        let fixture = try HTTPFixture(always: .respond(status: 200, headers: Self.json, body: ""))
        defer { fixture.stop() }
        let (client, store, publicKey) = try makeClient(for: fixture)
        await #expect(throws: DeviceCredentialError(code: .invalidResponse, message: "")) {
            try await client.getCredential()
        }
        try expectKeySurvived(store, publicKey)
    }

    @Test("a 200 that is not application/json is invalid_response")
    func wrongContentType() async throws {
        let fixture = try HTTPFixture(
            always: .respond(
                status: 200, headers: ["Content-Type": "text/html"],
                body: #"{"userAuthenticatorId":"a","userId":"u"}"#))
        defer { fixture.stop() }
        let (client, store, publicKey) = try makeClient(for: fixture)
        await #expect(throws: DeviceCredentialError(code: .invalidResponse, message: "")) {
            try await client.getCredential()
        }
        try expectKeySurvived(store, publicKey)
    }

    @Test("an answer slower than the timeout is network_error")
    func slowAnswer() async throws {
        let fixture = try HTTPFixture(always: .hang)
        defer { fixture.stop() }
        let (client, store, publicKey) = try makeClient(for: fixture, timeout: .milliseconds(300))
        do {
            _ = try await client.getCredential()
            Issue.record("a server that never answered did not throw")
        } catch let error as DeviceCredentialError {
            #expect(error.code == .networkError)
            #expect(error.message.contains("did not answer in time"))
        }
        await #expect(throws: DeviceCredentialError(code: .networkError, message: "")) {
            try await client.removeCredential()
        }
        try expectKeySurvived(store, publicKey)
    }

    @Test("cancelling the task stops a request the server never answers, long before the timeout")
    func cancelledWhileTheServerIsSilent() async throws {
        let fixture = try HTTPFixture(always: .hang)
        defer { fixture.stop() }
        // Without working cancellation the request would end with the timeout: network_error, not cancelled.
        let (client, store, publicKey) = try makeClient(for: fixture, timeout: .seconds(60))
        let request = Task { try await client.getCredential() }
        try await fixture.waitForRequest()
        request.cancel()
        let result = await request.result
        #expect(throws: CancellationError.self) { try result.get() }
        try expectKeySurvived(store, publicKey)
    }

    @Test("a reset connection is network_error; remove keeps the key")
    func connectionReset() async throws {
        let fixture = try HTTPFixture(always: .reset)
        defer { fixture.stop() }
        let (client, store, publicKey) = try makeClient(for: fixture)
        do {
            _ = try await client.removeCredential()
            Issue.record("a reset connection did not throw")
        } catch let error as DeviceCredentialError {
            #expect(error.code == .networkError)
            #expect(error.message.contains("closed or reset"))
        }
        try expectKeySurvived(store, publicKey)
    }

    @Test("a refused connection is network_error")
    func connectionRefused() async throws {
        let fixture = try HTTPFixture(always: .reset)
        let baseURL = fixture.baseURL
        fixture.stop()  // nobody listens on that port any more
        let store = InMemoryKeyStore()
        let profile = try DeviceProfile(name: "faults", apiURL: baseURL, tenantID: "t", keyStore: .memory)
        try store.storeKey(try SoftwareSigningKey().keyMaterial(), for: profile.keyStoreItem)
        let client = try DeviceCredentialClient(profile: profile, keyStore: store)
        await #expect(throws: DeviceCredentialError(code: .networkError, message: "")) {
            try await client.getCredential()
        }
    }

    @Test("a body above the size cap is invalid_response")
    func oversizedBody() async throws {
        let fixture = try HTTPFixture(
            always: .respond(status: 200, headers: Self.json, body: String(repeating: " ", count: 4096) + "{}"))
        defer { fixture.stop() }
        let store = InMemoryKeyStore()
        let profile = try DeviceProfile(name: "faults", apiURL: fixture.baseURL, tenantID: "t", keyStore: .memory)
        try store.storeKey(try SoftwareSigningKey().keyMaterial(), for: profile.keyStoreItem)
        let transport = CurlTransport(configuration: HTTPTransportConfiguration(maximumResponseSize: 1024))
        let client = try DeviceCredentialClient(profile: profile, keyStore: store, transport: transport)
        do {
            _ = try await client.getCredential()
            Issue.record("an oversized body was accepted")
        } catch let error as DeviceCredentialError {
            #expect(error.code == .invalidResponse)
            #expect(error.message.contains("larger than 1024"))
        }
    }

    @Test("a redirect to another host is refused; a same-host one is followed")
    func redirects() async throws {
        let target = try HTTPFixture(
            always: .respond(status: 200, headers: Self.json, body: #"{"userAuthenticatorId":"a","userId":"u"}"#))
        defer { target.stop() }
        let crossHost = try HTTPFixture(
            always: .respond(status: 307, headers: ["Location": "http://localhost:\(target.port)/v1/x"], body: ""))
        defer { crossHost.stop() }
        let (client, _, _) = try makeClient(for: crossHost)
        await #expect(throws: DeviceCredentialError(code: .networkError, message: "")) {
            try await client.getCredential()
        }
        #expect(target.requests.isEmpty)

        let sameHost = try HTTPFixture { request in
            request.target.hasPrefix("/moved")
                ? .respond(status: 200, headers: Self.json, body: #"{"userAuthenticatorId":"a","userId":"u"}"#)
                : .respond(status: 308, headers: ["Location": "/moved" + request.target], body: "")
        }
        defer { sameHost.stop() }
        let (followingClient, _, _) = try makeClient(for: sameHost)
        #expect(try await followingClient.getCredential().userAuthenticatorId == "a")
    }

    @Test("the service's error body gives its errorCode; invalid_credential on remove deletes the local key")
    func serviceErrorCodes() async throws {
        let fixture = try HTTPFixture(
            always: .respond(
                status: 400, headers: Self.json,
                body: #"{"error":"invalid_credential","errorCode":"invalid_credential","errorDescription":"gone"}"#))
        defer { fixture.stop() }
        let (client, store, _) = try makeClient(for: fixture)
        await #expect(throws: DeviceCredentialError(code: .invalidCredential, message: "")) {
            try await client.getCredential()
        }
        #expect(try await client.removeCredential() == nil)
        #expect(try store.loadKey(profile: "faults") == nil)
    }

    @Test("getChallenge falls back to the unsigned GET when the nonce step fails")
    func challengeFallback() async throws {
        let fixture = try HTTPFixture { request in
            request.method == "POST"
                ? .respond(status: 500, headers: [:], body: "")
                : .respond(
                    status: 200, headers: Self.json,
                    body:
                        #"{"userAuthenticatorId":"a","challengeId":"c1","actionCode":"signIn","expiresAt":1795915200000}"#
                )
        }
        defer { fixture.stop() }
        let (client, _, _) = try makeClient(for: fixture)
        let challenge = try #require(try await client.getChallenge())
        #expect(challenge.challengeId == "c1")
        #expect(challenge.actionCode == "signIn")
        #expect(challenge.expiresAt == Date(timeIntervalSince1970: 1_795_915_200))
        let requests = fixture.requests
        #expect(requests.map(\.method) == ["POST", "GET"])
        #expect(requests[1].headers["x-authsignal-signature"] == nil)
    }

    @Test("requests carry the protocol's exact shapes: Basic auth, query form, signed header, no body type")
    func requestShapes() async throws {
        let fixture = try HTTPFixture { request in
            request.method == "POST"
                ? .respond(status: 200, headers: Self.json, body: #"{"message":"nonce-123"}"#)
                : .respond(status: 200, headers: Self.json, body: #"{"userAuthenticatorId":"a"}"#)
        }
        defer { fixture.stop() }
        let (client, _, publicKey) = try makeClient(for: fixture)
        #expect(try await client.getChallenge() == nil)
        let requests = fixture.requests
        try #require(requests.count == 2)
        let query = "?publicKey=" + publicKey.queryRepresentation
        #expect(requests[0].target == "/v1/client/user-authenticators/push/challenge/sign" + query)
        #expect(requests[0].headers["content-type"] == nil)
        #expect(requests[0].body.isEmpty)
        #expect(requests[0].headers["authorization"] == "Basic dGVuYW50Og==")
        #expect(requests[1].target == "/v1/client/user-authenticators/push/challenge" + query)
        let signature = try #require(requests[1].headers["x-authsignal-signature"])
        let der = try #require(Data(base64Encoded: signature))
        #expect(publicKey.isValidSignature(DeviceSignature(derRepresentation: Array(der)), for: "nonce-123"))
    }
}
