import AuthsignalTestDevice
import Foundation
import HTTPTypes

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Requests to a devicecred-server process (the real binary) over loopback. A request the process never
/// answered (it was killed, or it refused the connection) throws; any answer is a `Reply`.
struct ProcessClient: Sendable {
    let baseURL: String

    func send(
        _ method: String, _ path: String, auth: Auth = .none, json: [String: Any]? = nil,
        headers: [String: String] = [:]
    ) async throws -> Reply {
        var request = URLRequest(url: URL(string: "\(baseURL)/\(path)")!)
        request.httpMethod = method
        if let value = auth.headerValue { request.setValue(value, forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        return Reply(
            status: HTTPResponse.Status(code: http.statusCode),
            contentType: http.value(forHTTPHeaderField: "Content-Type"),
            body: data)
    }

    // MARK: the steps of the flows

    func track(_ userId: String, _ action: String, scope: String? = nil) async throws -> Reply {
        try await send(
            "POST", "users/\(userId)/actions/\(action)", auth: .secret(), json: scope.map { ["scope": $0] } ?? [:])
    }

    func addCredential(_ device: TestDevice, token: String, namespace: String) async throws -> Reply {
        try await send(
            "POST", "client/user-authenticators/\(namespace)", auth: .bearer(token),
            json: ["publicKey": device.publicKey, "deviceName": "crash test", "devicePlatform": "linux"])
    }

    func startPush(_ token: String) async throws -> Reply {
        try await send("POST", "client/challenge/push", auth: .bearer(token), json: [:])
    }

    func answer(_ device: TestDevice, _ challengeId: String, approved: Bool, namespace: String = "push")
        async throws -> Reply
    {
        try await send(
            "POST", "client/user-authenticators/\(namespace)/challenge", auth: .tenant(),
            json: [
                "challengeId": challengeId, "publicKey": device.publicKey, "approved": approved,
                "signature": device.signature(for: challengeId),
            ])
    }

    func poll(_ token: String, _ challengeId: String) async throws -> Reply {
        try await send("POST", "client/verify/push", auth: .bearer(token), json: ["challengeId": challengeId])
    }

    func validate(_ token: String) async throws -> Reply {
        try await send("POST", "validate", auth: .secret(), json: ["token": token])
    }

    /// A getChallenge nonce (`.../challenge/sign`).
    func nonce(_ device: TestDevice) async throws -> Reply {
        try await send(
            "POST", "client/user-authenticators/push/challenge/sign?publicKey=\(device.publicKeyQuery)", auth: .tenant()
        )
    }

    /// getChallenge signed over `message`.
    func getChallenge(_ device: TestDevice, signing message: String) async throws -> Reply {
        try await send(
            "GET", "client/user-authenticators/push/challenge?publicKey=\(device.publicKeyQuery)", auth: .tenant(),
            headers: ["X-Authsignal-Signature": device.signature(for: message)])
    }

    /// An update nonce (`.../sign`): `challengeId` and `message`.
    func updateNonce(_ device: TestDevice) async throws -> Reply {
        try await send(
            "POST", "client/user-authenticators/push/sign?publicKey=\(device.publicKeyQuery)", auth: .tenant())
    }

    func updateCredential(_ device: TestDevice, challengeId: String, message: String, pushToken: String)
        async throws -> Reply
    {
        try await send(
            "PATCH", "client/user-authenticators/push", auth: .tenant(),
            json: [
                "challengeId": challengeId, "publicKey": device.publicKey, "signature": device.signature(for: message),
                "pushToken": pushToken,
            ])
    }

    /// An in-app challenge, naming `action` when given.
    func inAppChallenge(action: String?) async throws -> Reply {
        try await send("POST", "client/challenge", auth: .tenant(), json: action.map { ["action": $0] } ?? [:])
    }

    /// Verifies an in-app challenge: one naming an action as the tenant, one without with the track token.
    func verifyInApp(_ device: TestDevice, _ challengeId: String, token: String? = nil) async throws -> Reply {
        try await send(
            "POST", "client/verify/in-app", auth: token.map { .bearer($0) } ?? .tenant(),
            json: [
                "challengeId": challengeId, "publicKey": device.publicKey,
                "signature": device.signature(for: challengeId),
            ])
    }

    /// A QR-code challenge for whoever claims it (tenant auth).
    func createQRCode(action: String) async throws -> Reply {
        try await send("POST", "client/challenge/qr-code", auth: .tenant(), json: ["action": action])
    }

    func claimQRCode(_ device: TestDevice, _ challengeId: String) async throws -> Reply {
        try await send(
            "POST", "client/user-authenticators/qr-code/challenge/claim", auth: .tenant(),
            json: [
                "challengeId": challengeId, "publicKey": device.publicKey,
                "signature": device.signature(for: challengeId),
            ])
    }
}
