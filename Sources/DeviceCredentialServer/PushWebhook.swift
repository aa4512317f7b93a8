import Crypto
import Foundation
import Logging

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Posts `push.created` synchronously; the challenge exists only if the receiver answers 2xx.
struct PushWebhook: Sendable {
    struct Event: Encodable {
        struct Payload: Encodable {
            var challengeId: String
            var userId: String
            var idempotencyKey: String
            var actionCode: String
            var userAgent: String?
            var ipAddress: String?
        }
        var version = 1
        var id: String
        var source = "devicecred-server"
        var time: String
        var tenantId: String
        var type = "push.created"
        var data: Payload
    }

    let url: URL
    let tenantId: String
    let secretKey: String
    let logger: Logger

    func send(_ challenge: ChallengeRecord, of action: ActionRecord, at now: Date) async throws(APIError) {
        let event = Event(
            id: UUID().uuidString.lowercased(),
            time: now.formatted(.iso8601),
            tenantId: tenantId,
            data: .init(
                challengeId: challenge.id,
                userId: challenge.userId,
                idempotencyKey: challenge.idempotencyKey,
                actionCode: challenge.actionCode,
                userAgent: action.attributes.userAgent,
                ipAddress: action.attributes.ipAddress
            )
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(event)) ?? Data()
        var request = URLRequest(url: url, timeoutInterval: 10)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(
            Self.signatureHeader(body: body, secretKey: secretKey, at: now),
            forHTTPHeaderField: "X-Signature-V2"
        )
        let status: Int
        do {
            let (_, response) = try await URLSession.shared.data(for: request)
            status = (response as? HTTPURLResponse)?.statusCode ?? 0
        } catch {
            logger.warning("push webhook unreachable", metadata: ["error": "\(type(of: error))"])
            throw APIError(.webhookFailed, status: .badGateway, "the push.created webhook could not be reached")
        }
        guard (200..<300).contains(status) else {
            logger.warning("push webhook refused", metadata: ["status": "\(status)"])
            throw APIError(.webhookFailed, status: .badGateway, "the push.created webhook answered \(status)")
        }
    }

    /// `t=<unix seconds>,v2=<base64(HMAC-SHA256(secret, "<t>.<body>")) without '='>`.
    static func signatureHeader(body: Data, secretKey: String, at now: Date) -> String {
        let timestamp = Int(now.timeIntervalSince1970)
        var signed = Data("\(timestamp).".utf8)
        signed.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secretKey.utf8)))
        let signature = Data(mac).base64EncodedString().replacingOccurrences(of: "=", with: "")
        return "t=\(timestamp),v2=\(signature)"
    }
}
