import DeviceCredential
import Foundation
import HTTPTypes

/// The backend and the browser of a push sign-in, talking to a devicecred-server over loopback: what a
/// test needs around the device side it tests. Uses the library's transport only as a plain HTTP client.
public struct ServerAPI: Sendable {
    public var apiURL: String
    public var tenantID: String
    public var secretKey: String

    public init(apiURL: String, tenantID: String, secretKey: String) {
        self.apiURL = apiURL
        self.tenantID = tenantID
        self.secretKey = secretKey
    }

    /// What `track` answered.
    public struct Tracked: Sendable {
        public var state: String
        public var token: String
        public var idempotencyKey: String?
    }

    /// A push challenge the browser started, with the track token it polls with.
    public struct Push: Sendable {
        public var challengeID: String
        public var verificationCode: String?
        public var token: String
    }

    /// What the browser's poll answered.
    public struct Verdict: Sendable, Equatable {
        public var isVerified: Bool
        public var isConsumed: Bool
        public var accessToken: String?

        public init(isVerified: Bool, isConsumed: Bool, accessToken: String? = nil) {
            self.isVerified = isVerified
            self.isConsumed = isConsumed
            self.accessToken = accessToken
        }

        /// Equal when verified and consumed are: the access token is new on every poll.
        public static func == (lhs: Verdict, rhs: Verdict) -> Bool {
            lhs.isVerified == rhs.isVerified && lhs.isConsumed == rhs.isConsumed
        }
    }

    /// Backend `track`, with a fresh idempotency key unless `body` has one.
    public func track(userID: String, action: String = "signIn", body: [String: Any] = [:]) async throws -> Tracked {
        var body = body
        body["idempotencyKey"] = body["idempotencyKey"] ?? UUID().uuidString
        let answer = try await object("POST", "/users/\(userID)/actions/\(action)", body: body, authorization: basic)
        return Tracked(
            state: try field("state", of: answer), token: try field("token", of: answer),
            idempotencyKey: answer["idempotencyKey"] as? String)
    }

    /// Browser: starts a push challenge with a track token.
    public func startPush(token: String, action: String = "signIn", userAuthenticatorID: String? = nil)
        async throws -> Push
    {
        var body: [String: Any] = ["action": action]
        if let userAuthenticatorID { body["userAuthenticatorId"] = userAuthenticatorID }
        let answer = try await object("POST", "/client/challenge/push", body: body, authorization: "Bearer " + token)
        return Push(
            challengeID: try field("challengeId", of: answer), verificationCode: answer["verificationCode"] as? String,
            token: token)
    }

    /// Tracks `action` for an enrolled user (CHALLENGE_REQUIRED) and starts the push, as a browser does.
    public func pushChallenge(userID: String, action: String = "signIn", body: [String: Any] = [:]) async throws
        -> Push
    {
        let tracked = try await track(userID: userID, action: action, body: body)
        guard tracked.state == "CHALLENGE_REQUIRED" else {
            throw TestSupportError("track answered \(tracked.state), not CHALLENGE_REQUIRED")
        }
        return try await startPush(token: tracked.token, action: action)
    }

    /// Browser: polls a push challenge.
    public func poll(token: String, challengeID: String) async throws -> Verdict {
        let answer = try await object(
            "POST", "/client/verify/push", body: ["challengeId": challengeID], authorization: "Bearer " + token)
        guard let isVerified = answer["isVerified"] as? Bool, let isConsumed = answer["isConsumed"] as? Bool else {
            throw TestSupportError("the poll answered no isVerified or isConsumed: \(answer)")
        }
        return Verdict(isVerified: isVerified, isConsumed: isConsumed, accessToken: answer["accessToken"] as? String)
    }

    /// Browser: polls `push`.
    public func poll(_ push: Push) async throws -> Verdict {
        try await poll(token: push.token, challengeID: push.challengeID)
    }

    /// A QR-code challenge a browser shows (REST polling mode), with the code it polls with.
    public struct QRCode: Sendable {
        public var challengeID: String
        public var deviceCode: String
        public var verificationCode: String?
    }

    /// Browser: creates a QR-code challenge, with a track token when given, else as the tenant.
    public func createQRCode(token: String? = nil, action: String = "signIn") async throws -> QRCode {
        let authorization = token.map { "Bearer " + $0 } ?? tenantBasic
        let answer = try await object(
            "POST", "/client/challenge/qr-code", body: ["action": action], authorization: authorization)
        return QRCode(
            challengeID: try field("challengeId", of: answer), deviceCode: try field("deviceCode", of: answer),
            verificationCode: answer["verificationCode"] as? String)
    }

    /// Browser: polls a QR-code challenge; the whole answer (`isClaimed`, `isVerified`, `isConsumed`, `token`).
    public func poll(_ code: QRCode) async throws -> [String: Any] {
        try await object(
            "POST", "/client/verify/qr-code", body: ["challengeId": code.challengeID, "deviceCode": code.deviceCode],
            authorization: tenantBasic)
    }

    /// Backend: the user's authenticators as `(id, verificationMethod)`, oldest first.
    public func authenticators(userID: String) async throws -> [(id: String, method: String)] {
        guard
            let list = try await json("GET", "/users/\(userID)/authenticators", body: nil, authorization: basic)
                as? [[String: Any]]
        else { throw TestSupportError("getAuthenticators answered no list") }
        return list.map { ($0["userAuthenticatorId"] as? String ?? "", $0["verificationMethod"] as? String ?? "") }
    }

    private var tenantBasic: String { "Basic " + Data((tenantID + ":").utf8).base64EncodedString() }

    /// Backend: validates the browser's access token; the whole answer.
    public func validate(token: String) async throws -> [String: Any] {
        try await object("POST", "/validate", body: ["token": token], authorization: basic)
    }

    /// Backend: the user's authenticator ids.
    public func authenticatorIDs(userID: String) async throws -> [String] {
        guard
            let list = try await json("GET", "/users/\(userID)/authenticators", body: nil, authorization: basic)
                as? [[String: Any]]
        else { throw TestSupportError("getAuthenticators answered no list") }
        return list.compactMap { $0["userAuthenticatorId"] as? String }
    }

    /// Backend: deletes an authenticator, as an administrator revoking a device would.
    public func deleteAuthenticator(userID: String, id: String) async throws {
        _ = try await json("DELETE", "/users/\(userID)/authenticators/\(id)", body: nil, authorization: basic)
    }

    /// Backend: deletes every authenticator of the user (revokes all its credentials).
    public func deleteAuthenticators(userID: String) async throws {
        for id in try await authenticatorIDs(userID: userID) { try await deleteAuthenticator(userID: userID, id: id) }
    }

    private var basic: String { "Basic " + Data((secretKey + ":").utf8).base64EncodedString() }

    private func field(_ name: String, of answer: [String: Any]) throws -> String {
        guard let value = answer[name] as? String else { throw TestSupportError("no \(name) in \(answer)") }
        return value
    }

    private func object(_ method: String, _ path: String, body: [String: Any]?, authorization: String) async throws
        -> [String: Any]
    {
        guard let object = try await json(method, path, body: body, authorization: authorization) as? [String: Any]
        else { throw TestSupportError("\(method) \(path) answered no JSON object") }
        return object
    }

    /// Sends a request; throws unless the answer is 200 with JSON.
    private func json(_ method: String, _ path: String, body: [String: Any]?, authorization: String) async throws
        -> Any
    {
        var headers: HTTPFields = [.authorization: authorization]
        var bytes: Data?
        if let body {
            headers[.contentType] = "application/json"
            bytes = try JSONSerialization.data(withJSONObject: body)
        }
        guard let requestMethod = HTTPRequest.Method(method), let url = URL(string: apiURL + path) else {
            throw TestSupportError("\(method) \(apiURL + path) is not a request")
        }
        let (response, answer) = try await CurlTransport().send(
            HTTPRequest(method: requestMethod, url: url, headerFields: headers), body: bytes)
        guard response.status == .ok else {
            let text = String(decoding: answer, as: UTF8.self)
            throw TestSupportError("\(method) \(path) answered \(response.status.code): \(text)")
        }
        return try JSONSerialization.jsonObject(with: answer)
    }
}
