import AuthsignalTestDevice
import DeviceCredentialServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging

/// devicecred-server on loopback, started in-process on a free port, once per store (memory, SQLite):
/// complete push flows per second, and the latency of getChallenge (nonce + signed GET).
enum ServerBenchmarks {
    static let warmupFlows = 20
    static let measuredFlows = 300
    static let latencySamples = 1000

    static func run() async throws -> [BenchmarkResult] {
        var results: [BenchmarkResult] = []
        let database = FileManager.default.temporaryDirectory
            .appendingPathComponent("devicecred-bench-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: database) }
        for (store, path) in [("memory", nil), ("sqlite", database)] as [(String, String?)] {
            var configuration = ServerConfiguration()
            configuration.port = 0
            configuration.databasePath = path
            configuration.logger = Logger(label: "devicecred-bench") { _ in SwiftLogNoOpLogHandler() }
            let app = try await buildApplication(configuration)
            results += try await app.test(.live) { client in
                try await measure(BenchClient(client: client), store: store)
            }
        }
        return results
    }

    private static func measure(_ client: BenchClient, store: String) async throws -> [BenchmarkResult] {
        let device = TestDevice()
        let enrollment = try await client.call(.post, "users/bench/actions/enroll", .secret, [:])
        _ = try await client.call(
            .post, "client/user-authenticators/push", .bearer(enrollment.string("token")),
            ["publicKey": device.publicKey, "deviceName": "bench", "devicePlatform": "linux"])

        for _ in 0..<warmupFlows { try await flow(client, device) }
        let start = ContinuousClock.now
        for _ in 0..<measuredFlows { try await flow(client, device) }
        let flowSeconds = seconds(ContinuousClock.now - start)

        // One pending challenge for getChallenge to find.
        let tracked = try await client.call(.post, "users/bench/actions/signIn", .secret, [:])
        _ = try await client.call(.post, "client/challenge/push", .bearer(tracked.string("token")), [:])
        var latency = LatencySample()
        for _ in 0..<latencySamples {
            let begin = ContinuousClock.now
            _ = try await getChallenge(client, device)
            latency.record(seconds(ContinuousClock.now - begin) * 1000)
        }
        let note = "\(store) store, in-process server, one keep-alive loopback connection"
        return [
            BenchmarkResult(
                name: "server push flows (\(store))", value: Double(measuredFlows) / flowSeconds, unit: "flows/s",
                note: "track, start push, nonce, getChallenge, updateChallenge, poll, validate; \(note)"),
            BenchmarkResult(
                name: "server getChallenge p50 (\(store))", value: latency.percentile(50), unit: "ms",
                note: "nonce + signed GET; \(note)"),
            BenchmarkResult(
                name: "server getChallenge p99 (\(store))", value: latency.percentile(99), unit: "ms",
                note: "nonce + signed GET; \(latencySamples) samples; \(note)"),
        ]
    }

    /// One complete sign-in: 8 requests and 2 signatures.
    private static func flow(_ client: BenchClient, _ device: TestDevice) async throws {
        let tracked = try await client.call(.post, "users/bench/actions/signIn", .secret, [:])
        let token = tracked.string("token")
        let started = try await client.call(.post, "client/challenge/push", .bearer(token), [:])
        let challengeId = started.string("challengeId")
        let fetched = try await getChallenge(client, device)
        guard fetched.string("challengeId") == challengeId else {
            throw BenchError("getChallenge missed the challenge")
        }
        _ = try await client.call(
            .post, "client/user-authenticators/push/challenge", .tenant,
            [
                "challengeId": challengeId, "publicKey": device.publicKey, "approved": true,
                "signature": device.signature(for: challengeId),
            ])
        let polled = try await client.call(.post, "client/verify/push", .bearer(token), ["challengeId": challengeId])
        let validated = try await client.call(.post, "validate", .secret, ["token": polled.string("accessToken")])
        guard validated.json["isValid"] as? Bool == true else { throw BenchError("validate did not succeed") }
    }

    private static func getChallenge(_ client: BenchClient, _ device: TestDevice) async throws -> BenchClient.Reply {
        let query = "publicKey=\(device.publicKeyQuery)"
        let nonce = try await client.call(
            .post, "client/user-authenticators/push/challenge/sign?\(query)", .tenant, nil)
        return try await client.call(
            .get, "client/user-authenticators/push/challenge?\(query)", .tenant, nil,
            signature: device.signature(for: nonce.string("message")))
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

private struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Requests to the server under benchmark with the documented dev tenant's credentials.
private struct BenchClient {
    enum Auth {
        case secret
        case tenant
        case bearer(String)

        var header: String {
            switch self {
            case .secret: return "Basic " + Data("\(ServerConfiguration.devSecretKey):".utf8).base64EncodedString()
            case .tenant: return "Basic " + Data("\(ServerConfiguration.devTenantId):".utf8).base64EncodedString()
            case .bearer(let token): return "Bearer \(token)"
            }
        }
    }

    struct Reply {
        let json: [String: Any]
        func string(_ key: String) -> String { json[key] as? String ?? "" }
    }

    let client: any TestClientProtocol

    func call(
        _ method: HTTPRequest.Method,
        _ path: String,
        _ auth: Auth,
        _ body: [String: Any]?,
        signature: String? = nil
    ) async throws -> Reply {
        var headers: HTTPFields = [.authorization: auth.header]
        if let signature { headers[HTTPField.Name("X-Authsignal-Signature")!] = signature }
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        if data != nil { headers[.contentType] = "application/json" }
        let response = try await client.execute(
            uri: "/v1/\(path)", method: method, headers: headers, body: data.map { ByteBuffer(bytes: $0) })
        guard response.status == .ok else {
            throw BenchError("\(method) \(path) answered \(response.status.code)")
        }
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
        return Reply(json: json)
    }
}
