import DeviceCredential
import Foundation
import Testing

/// The backend and the browser of a push sign-in, talking to the local devicecred-server: what the
/// device side is tested against. Uses the library's transport only as a plain HTTP client.
struct TestServer: Sendable {
    var baseURL: String
    var tenantID: String
    var secretKey: String

    private var transport: CurlTransport { CurlTransport() }

    /// A profile for this server with a fresh name.
    func profile(_ name: String = "p-\(UUID().uuidString.prefix(8))", namespace: DeviceNamespace = .push) throws
        -> DeviceProfile
    {
        try DeviceProfile(
            name: name, apiURL: baseURL, tenantID: tenantID, namespace: namespace, deviceName: "test device",
            keyStore: .memory)
    }

    /// A fresh user id.
    static func newUserID() -> String { "user-\(UUID().uuidString.lowercased())" }

    /// Server API `track`: returns the whole answer (`state`, `token`, `idempotencyKey`...).
    func track(userID: String, action: String = "signIn", extra: [String: Any] = [:]) async throws -> [String: Any] {
        var body = extra
        body["idempotencyKey"] = body["idempotencyKey"] ?? UUID().uuidString
        return try await call("POST", "/users/\(userID)/actions/\(action)", auth: serverAuth, body: body)
    }

    /// A token to enroll with.
    func enrollmentToken(userID: String) async throws -> String {
        try #require(try await track(userID: userID)["token"] as? String)
    }

    /// Browser: starts a push challenge with a track token; returns the challenge id.
    func startPush(token: String, userAuthenticatorID: String? = nil) async throws -> String {
        var body: [String: Any] = [:]
        if let userAuthenticatorID { body["userAuthenticatorId"] = userAuthenticatorID }
        let answer = try await call("POST", "/client/challenge/push", auth: "Bearer " + token, body: body)
        return try #require(answer["challengeId"] as? String)
    }

    /// Browser: polls a push challenge.
    func pollPush(token: String, challengeID: String) async throws -> [String: Any] {
        try await call("POST", "/client/verify/push", auth: "Bearer " + token, body: ["challengeId": challengeID])
    }

    /// Backend: validates the browser's token.
    func validate(token: String) async throws -> [String: Any] {
        try await call("POST", "/validate", auth: serverAuth, body: ["token": token])
    }

    /// Backend: deletes an authenticator (revokes the device's credential).
    func deleteAuthenticator(userID: String, authenticatorID: String) async throws {
        _ = try await call("DELETE", "/users/\(userID)/authenticators/\(authenticatorID)", auth: serverAuth, body: nil)
    }

    private var serverAuth: String { "Basic " + Data((secretKey + ":").utf8).base64EncodedString() }

    private func call(_ method: String, _ path: String, auth: String, body: [String: Any]?) async throws
        -> [String: Any]
    {
        var headers: [(name: String, value: String)] = [("Authorization", auth)]
        var bytes: [UInt8]?
        if let body {
            headers.append(("Content-Type", "application/json"))
            bytes = Array(try JSONSerialization.data(withJSONObject: body))
        }
        let response = try await transport.send(
            HTTPRequest(method: method, url: baseURL + path, headers: headers, body: bytes))
        let text = String(decoding: response.body, as: UTF8.self)
        try #require(response.status == 200, "\(method) \(path) answered \(response.status): \(text)")
        return try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }
}
