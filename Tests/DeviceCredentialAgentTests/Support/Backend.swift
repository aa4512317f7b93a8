import DeviceCredential
import Foundation

/// The backend and the browser of the push flow, talking to the real local server.
struct Backend: Sendable {
    var apiURL: String
    var tenantID: String
    var secretKey: String

    struct Push: Sendable {
        var challengeId: String
        var verificationCode: String?
        var token: String
    }

    struct Verdict: Sendable, Equatable {
        var isVerified: Bool
        var isConsumed: Bool
    }

    /// `track`: returns the state and the token.
    func track(user: String, action: String) async throws -> (state: String, token: String) {
        let basic = Data((secretKey + ":").utf8).base64EncodedString()
        let json = try await call(
            "POST", "/users/\(user)/actions/\(action)", authorization: "Basic " + basic, body: [:])
        return (json["state"] as? String ?? "", json["token"] as? String ?? "")
    }

    /// Tracks `action` for an enrolled user and starts the push challenge, as a browser does.
    func startPush(user: String, action: String = "signIn") async throws -> Push {
        let (state, token) = try await track(user: user, action: action)
        guard state == "CHALLENGE_REQUIRED" else { throw TestFailure("track gave \(state), not CHALLENGE_REQUIRED") }
        let json = try await call(
            "POST", "/client/challenge/push", authorization: "Bearer " + token, body: ["action": action])
        guard let id = json["challengeId"] as? String else { throw TestFailure("no challengeId in \(json)") }
        return Push(challengeId: id, verificationCode: json["verificationCode"] as? String, token: token)
    }

    /// The browser's poll.
    func verify(_ push: Push) async throws -> Verdict {
        let json = try await call(
            "POST", "/client/verify/push", authorization: "Bearer " + push.token,
            body: ["challengeId": push.challengeId])
        return Verdict(
            isVerified: json["isVerified"] as? Bool ?? false, isConsumed: json["isConsumed"] as? Bool ?? false)
    }

    /// Deletes every authenticator of `user` on the server (revokes the credential).
    func deleteAuthenticators(user: String) async throws {
        let basic = "Basic " + Data((secretKey + ":").utf8).base64EncodedString()
        let list = try await callArray("GET", "/users/\(user)/authenticators", authorization: basic)
        for case let id as String in list.compactMap({ ($0 as? [String: Any])?["userAuthenticatorId"] }) {
            _ = try await call("DELETE", "/users/\(user)/authenticators/\(id)", authorization: basic, body: nil)
        }
    }

    private func raw(_ method: String, _ path: String, authorization: String, body: [String: Any]?) async throws -> Any
    {
        var headers = [(name: "Authorization", value: authorization)]
        var bytes: [UInt8]?
        if let body {
            headers.append((name: "Content-Type", value: "application/json"))
            bytes = Array(try JSONSerialization.data(withJSONObject: body))
        }
        let response = try await CurlTransport().send(
            HTTPRequest(method: method, url: apiURL + path, headers: headers, body: bytes))
        guard response.status == 200 else {
            throw TestFailure(
                "\(method) \(path): HTTP \(response.status) \(String(decoding: response.body, as: UTF8.self))")
        }
        return try JSONSerialization.jsonObject(with: Data(response.body))
    }

    private func call(_ method: String, _ path: String, authorization: String, body: [String: Any]?) async throws
        -> [String: Any]
    {
        try await raw(method, path, authorization: authorization, body: body) as? [String: Any] ?? [:]
    }

    private func callArray(_ method: String, _ path: String, authorization: String) async throws -> [Any] {
        try await raw(method, path, authorization: authorization, body: nil) as? [Any] ?? []
    }
}

/// An enrolled profile: a user with a push credential whose key lives in a test home.
struct TestDevice: Sendable {
    var profile: DeviceProfile
    var userID: String
    var keyStore: any KeyStore

    /// Enrolls a new user through the library API (addCredential + ProfileStore.save).
    static func enroll(
        in home: TestHome, backend: Backend, keyStore kind: KeyStoreKind = .file, numberMatching: Bool = false,
        name: String? = nil
    ) async throws -> TestDevice {
        let userID = "agent-user-" + UUID().uuidString.lowercased()
        let (state, token) = try await backend.track(user: userID, action: "enroll")
        guard state == "ALLOW" else { throw TestFailure("enrollment track gave \(state)") }
        let profile = try DeviceProfile(
            name: name ?? "agent-" + UUID().uuidString.prefix(8).lowercased(), apiURL: backend.apiURL,
            tenantID: backend.tenantID, deviceName: "agent test", keyStore: kind, usesNumberMatching: numberMatching)
        let keyStore: any KeyStore = kind == .file ? home.fileKeyStore : SecretServiceKeyStore()
        let client = try DeviceCredentialClient(
            profile: profile, keyStore: keyStore)
        _ = try await client.addCredential(token: token)
        try home.profileStore.save(profile)
        return TestDevice(profile: profile, userID: userID, keyStore: keyStore)
    }

    func client() throws -> DeviceCredentialClient {
        try DeviceCredentialClient(profile: profile, keyStore: keyStore)
    }
}
