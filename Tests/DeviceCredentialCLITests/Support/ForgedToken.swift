import Foundation
import Testing

/// Track tokens with the claims a test needs (e.g. long expired), signed like devicecred-server signs
/// them (HS256 with the tenant's secret key), by the `openssl` command.
enum ForgedToken {
    static func make(secretKey: String, tenantID: String, userID: String, issuedAt: Int, expiresAt: Int)
        async throws -> String
    {
        let claims: [String: Any] = [
            "sub": userID, "iat": issuedAt, "exp": expiresAt,
            "other": [
                "tenantId": tenantID, "userId": userID, "actionCode": "signIn",
                "idempotencyKey": UUID().uuidString.lowercased(),
            ],
        ]
        let header = base64URL(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let payload = base64URL(try JSONSerialization.data(withJSONObject: claims))
        let signingInput = header + "." + payload
        let hmac = try await ProcessRunner.run(
            "/usr/bin/openssl", ["dgst", "-sha256", "-hmac", secretKey, "-hex"],
            environment: ProcessInfo.processInfo.environment, standardInput: signingInput)
        try #require(hmac.status == 0, "openssl dgst failed: \(hmac)")
        // "HMAC-SHA2-256(stdin)= 4f2a...": the hex digest is the last word.
        let hex = Array(
            try #require(hmac.stdout.split(separator: " ").last).trimmingCharacters(in: .whitespacesAndNewlines))
        try #require(hex.count == 64, "unexpected openssl output: \(hmac.stdout)")
        let signature = Data(stride(from: 0, to: hex.count, by: 2).map { UInt8(String(hex[$0...$0 + 1]), radix: 16)! })
        return signingInput + "." + base64URL(signature)
    }

    private static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
