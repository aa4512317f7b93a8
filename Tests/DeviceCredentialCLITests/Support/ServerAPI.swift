import DeviceCredential
import Foundation
import Testing

/// The backend and browser sides of the push flow, spoken to devicecred-server over loopback: what a
/// test needs around the device side the CLI plays.
struct ServerAPI {
    let baseURL: String
    let tenantID: String
    let secretKey: String
    private let transport = CurlTransport()

    /// The server with-services.sh started.
    static func shared() throws -> ServerAPI {
        ServerAPI(
            baseURL: try TestEnvironment.apiURL(), tenantID: try TestEnvironment.tenantID(),
            secretKey: try TestEnvironment.secretKey())
    }

    init(baseURL: String, tenantID: String, secretKey: String) {
        self.baseURL = baseURL
        self.tenantID = tenantID
        self.secretKey = secretKey
    }

    /// Backend `track`: the token (for enrollment, or for the browser's push challenge) and the state.
    func track(
        userID: String, action: String = "signIn", ipAddress: String? = nil, userAgent: String? = nil,
        custom: [String: Any]? = nil
    ) async throws -> (token: String, state: String) {
        var body: [String: Any] = [:]
        if let ipAddress { body["ipAddress"] = ipAddress }
        if let userAgent { body["userAgent"] = userAgent }
        if let custom { body["custom"] = custom }
        let answer = try await send("POST", "/users/\(userID)/actions/\(action)", body: body, authorization: serverAuth)
        return (try #require(answer["token"] as? String), try #require(answer["state"] as? String))
    }

    /// Browser: starts a push challenge with a track token.
    func startPush(token: String, action: String = "signIn") async throws -> (
        challengeID: String, verificationCode: String?
    ) {
        let answer = try await send(
            "POST", "/client/challenge/push", body: ["action": action], authorization: "Bearer " + token)
        return (try #require(answer["challengeId"] as? String), answer["verificationCode"] as? String)
    }

    /// Browser: polls the push challenge.
    func poll(token: String, challengeID: String) async throws -> (isVerified: Bool, isConsumed: Bool) {
        let answer = try await send(
            "POST", "/client/verify/push", body: ["challengeId": challengeID], authorization: "Bearer " + token)
        return (answer["isVerified"] as? Bool ?? false, answer["isConsumed"] as? Bool ?? false)
    }

    /// Server API: the user's authenticator ids.
    func authenticatorIDs(userID: String) async throws -> [String] {
        let response = try await transport.send(
            HTTPRequest(method: "GET", url: baseURL + "/users/\(userID)/authenticators", headers: [serverAuthHeader]))
        try #require(response.status == 200, "getAuthenticators answered \(response.status)")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]])
        return list.compactMap { $0["userAuthenticatorId"] as? String }
    }

    /// Server API: deletes an authenticator, as an administrator revoking a device would.
    func deleteAuthenticator(userID: String, id: String) async throws {
        _ = try await send("DELETE", "/users/\(userID)/authenticators/\(id)", body: nil, authorization: serverAuth)
    }

    /// A user enrolled through the CLI gets CHALLENGE_REQUIRED; this gives the browser its token and challenge.
    func pushChallenge(
        userID: String, ipAddress: String? = nil, userAgent: String? = nil, custom: [String: Any]? = nil
    ) async throws -> (token: String, challengeID: String, verificationCode: String?) {
        let tracked = try await track(userID: userID, ipAddress: ipAddress, userAgent: userAgent, custom: custom)
        try #require(tracked.state == "CHALLENGE_REQUIRED", "track answered \(tracked.state)")
        let push = try await startPush(token: tracked.token)
        return (tracked.token, push.challengeID, push.verificationCode)
    }

    private var serverAuth: String { "Basic " + Data((secretKey + ":").utf8).base64EncodedString() }
    private var serverAuthHeader: (name: String, value: String) { ("Authorization", serverAuth) }

    private func send(_ method: String, _ path: String, body: [String: Any]?, authorization: String) async throws
        -> [String: Any]
    {
        var headers: [(name: String, value: String)] = [("Authorization", authorization)]
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
