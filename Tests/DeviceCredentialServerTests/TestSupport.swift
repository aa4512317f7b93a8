import AuthsignalTestDevice
import DeviceCredentialLocking
import DeviceCredentialServer
import DeviceCredentialTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging

/// A clock the test moves by hand, so expiry needs no sleeping.
final class TestClock: ServerClock {
    private let current: Locked<Date>
    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Locked(start) }
    func now() -> Date { current.withLock { $0 } }
    func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

let devTenant = ServerConfiguration.devTenantId
let devSecret = ServerConfiguration.devSecretKey

/// How a request authenticates.
enum Auth {
    case secret(String = devSecret)
    /// Tenant Basic in the RFC form: standard base64 of "tenant:", padded.
    case tenant(String = devTenant)
    /// Tenant Basic as iOS sends it: base64url without padding.
    case tenantURLSafe
    /// Tenant Basic as the browser sends it: base64 of the URL-encoded tenant id, no colon.
    case tenantBrowser
    case bearer(String)
    case header(String)
    case none

    var headerValue: String? {
        switch self {
        case .secret(let key): return "Basic " + Data("\(key):".utf8).base64EncodedString()
        case .tenant(let id): return "Basic " + Data("\(id):".utf8).base64EncodedString()
        case .tenantURLSafe:
            return "Basic "
                + Data("\(devTenant):".utf8).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        case .tenantBrowser:
            let encoded = devTenant.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            return "Basic " + Data(encoded.utf8).base64EncodedString()
        case .bearer(let token): return "Bearer \(token)"
        case .header(let value): return value
        case .none: return nil
        }
    }
}

/// A decoded answer.
struct Reply {
    let status: HTTPResponse.Status
    let contentType: String?
    let body: Data
    var headers: HTTPFields = [:]
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    var array: [[String: Any]] { (try? JSONSerialization.jsonObject(with: body)) as? [[String: Any]] ?? [] }
    var errorCode: String? { json["errorCode"] as? String }
    /// True when the body has the contract's error shape with `error == errorCode == code`.
    func isError(_ code: String) -> Bool {
        json["error"] as? String == code && errorCode == code && (json["errorDescription"] as? String)?.isEmpty == false
            && contentType == "application/json"
    }
    func string(_ key: String) -> String? { json[key] as? String }
    func bool(_ key: String) -> Bool? { json[key] as? Bool }
}

/// The server under test, reached over real HTTP on loopback, and the flow steps built on it.
struct Harness {
    let client: any TestClientProtocol
    let clock: TestClock
    let logs: LogCapture

    func send(
        _ method: HTTPRequest.Method,
        _ path: String,
        auth: Auth = .none,
        body: Data? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> Reply {
        var headers = extra
        if let value = auth.headerValue { headers[.authorization] = value }
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        let response = try await client.execute(
            uri: path.hasPrefix("/") ? path : "/v1/\(path)",
            method: method,
            headers: headers,
            body: body.map { ByteBuffer(bytes: $0) }
        )
        return Reply(
            status: response.status, contentType: response.headers[.contentType], body: Data(buffer: response.body),
            headers: response.headers)
    }

    func send(_ method: HTTPRequest.Method, _ path: String, auth: Auth = .none, json: [String: Any]) async throws
        -> Reply
    {
        try await send(method, path, auth: auth, body: try JSONSerialization.data(withJSONObject: json))
    }

    // MARK: flow steps

    struct Tracked {
        let token: String
        let idempotencyKey: String
        let state: String
        let reply: Reply
    }

    func track(_ userId: String, _ action: String = "signIn", _ body: [String: Any] = [:]) async throws -> Tracked {
        let reply = try await send(.post, "users/\(userId)/actions/\(action)", auth: .secret(), json: body)
        precondition(reply.status == .ok, "track failed: \(String(decoding: reply.body, as: UTF8.self))")
        return Tracked(
            token: reply.string("token")!,
            idempotencyKey: reply.string("idempotencyKey")!,
            state: reply.string("state")!,
            reply: reply
        )
    }

    /// Tracks for `userId` and registers `device` with the token; returns the authenticator id.
    @discardableResult
    func enroll(_ device: TestDevice, as userId: String, scope: String? = nil) async throws -> String {
        let tracked = try await track(userId, "enroll", scope.map { ["scope": $0] } ?? [:])
        let reply = try await addCredential(device, token: tracked.token)
        precondition(reply.status == .ok, "enroll failed: \(String(decoding: reply.body, as: UTF8.self))")
        return reply.string("userAuthenticatorId")!
    }

    func addCredential(_ device: TestDevice, token: String, namespace: String = "push") async throws -> Reply {
        try await send(
            .post, "client/user-authenticators/\(namespace)", auth: .bearer(token),
            json: ["publicKey": device.publicKey, "deviceName": "test laptop", "devicePlatform": "linux"])
    }

    func startPush(_ token: String, _ body: [String: Any] = [:]) async throws -> Reply {
        try await send(.post, "client/challenge/push", auth: .bearer(token), json: body)
    }

    func poll(_ token: String, _ challengeId: String) async throws -> Reply {
        try await send(.post, "client/verify/push", auth: .bearer(token), json: ["challengeId": challengeId])
    }

    func nonce(_ device: TestDevice, namespace: String = "push", auth: Auth = .tenant()) async throws -> Reply {
        try await send(
            .post, "client/user-authenticators/\(namespace)/challenge/sign?publicKey=\(device.publicKeyQuery)",
            auth: auth)
    }

    /// getChallenge as the SDKs do it: a nonce, then the GET signed over it.
    func getChallenge(_ device: TestDevice, namespace: String = "push") async throws -> Reply {
        let message = try await nonce(device, namespace: namespace).string("message")!
        return try await send(
            .get, "client/user-authenticators/\(namespace)/challenge?publicKey=\(device.publicKeyQuery)",
            auth: .tenant(), headers: [signatureHeader: device.signature(for: message)])
    }

    func answer(
        _ device: TestDevice,
        _ challengeId: String,
        approved: Bool,
        verificationCode: String? = nil,
        signature: String? = nil,
        namespace: String = "push"
    ) async throws -> Reply {
        var body: [String: Any] = [
            "challengeId": challengeId, "publicKey": device.publicKey, "approved": approved,
            "signature": signature ?? device.signature(for: challengeId),
        ]
        if let verificationCode { body["verificationCode"] = verificationCode }
        return try await send(.post, "client/user-authenticators/\(namespace)/challenge", auth: .tenant(), json: body)
    }

    func validate(_ token: String, _ extra: [String: Any] = [:]) async throws -> Reply {
        try await send(.post, "validate", auth: .secret(), json: extra.merging(["token": token]) { $1 })
    }
}

/// The server under test: a free loopback port, a hand-moved clock, captured logs, plus `configure`.
struct TestServer {
    let configure: (inout ServerConfiguration) -> Void

    init(_ configure: @escaping (inout ServerConfiguration) -> Void = { _ in }) { self.configure = configure }

    /// Starts the server and runs `body` against it over loopback HTTP.
    func run<Value: Sendable>(_ body: @Sendable (Harness) async throws -> Value) async throws -> Value {
        let clock = TestClock()
        let logs = LogCapture()
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.clock = clock
        configuration.logger = logs.logger
        configure(&configuration)
        let app = try await buildApplication(configuration)
        return try await app.test(.live) { client in
            try await body(Harness(client: client, clock: clock, logs: logs))
        }
    }
}

/// `TestServer().run(body)`: the default configuration.
func withServer<Value: Sendable>(_ body: @Sendable (Harness) async throws -> Value) async throws -> Value {
    try await TestServer().run(body)
}

let signatureHeader = HTTPField.Name("X-Authsignal-Signature")!

/// `withServer` on `store`: in memory, or on a fresh SQLite file removed afterwards.
func withServer<Value: Sendable>(
    on store: RepositoryContractTests.Store,
    _ configure: @escaping (inout ServerConfiguration) -> Void = { _ in },
    _ body: @Sendable (Harness) async throws -> Value
) async throws -> Value {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("devicecred-http-\(UUID().uuidString).sqlite").path
    defer {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
    return try await TestServer {
        if store == .sqlite { $0.databasePath = path }
        configure(&$0)
    }.run(body)
}

extension Harness {
    /// Sends one request per body at once, each on a connection of its own, so the server handles them
    /// in parallel; the answers in no particular order.
    func parallel(_ method: HTTPRequest.Method, _ path: String, auth: Auth, bodies: [[String: Any]])
        async throws -> [Reply]
    {
        guard let port = client.port else { throw TestClient.Error.connectionNotOpen }
        var headers: HTTPFields = [.contentType: "application/json"]
        if let value = auth.headerValue { headers[.authorization] = value }
        let requests = try bodies.map { ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: $0)) }
        let clients = requests.map { _ in TestClient(host: "127.0.0.1", port: port) }
        for client in clients { client.connect() }
        func shutDown() async { for client in clients { try? await client.shutdown() } }
        do {
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for (client, body) in zip(clients, requests) {
                    group.addTask { [headers] in
                        let response = try await client.execute(
                            TestClient.Request(
                                "/v1/\(path)", method: method, authority: "127.0.0.1", headers: headers, body: body))
                        return Reply(
                            status: response.status, contentType: response.headers[.contentType],
                            body: response.body.map { Data(buffer: $0) } ?? Data(), headers: response.headers)
                    }
                }
                return try await group.reduce(into: [Reply]()) { $0.append($1) }
            }
            await shutDown()
            return replies
        } catch {
            await shutDown()
            throw error
        }
    }
}
