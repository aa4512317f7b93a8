import Crypto
package import Foundation

/// The claims of the JWTs `track` and the push approval hand out.
public struct AccessTokenClaims: Sendable, Equatable, Codable {
    public struct Other: Sendable, Equatable, Codable {
        public var tenantId: String
        public var userId: String
        public var actionCode: String
        public var idempotencyKey: String
    }

    public var sub: String
    public var iat: Int
    public var exp: Int
    public var scope: String?
    public var other: Other
}

/// HS256 JWTs signed with the tenant's secret key.
package struct AccessTokenSigner: Sendable {
    package enum Failure: Error, Equatable {
        case malformed
        case badSignature
        case expired
        case otherTenant
    }

    let tenantId: String
    private let key: SymmetricKey
    let lifetime: TimeInterval

    package init(tenantId: String, secretKey: String, lifetime: TimeInterval) {
        self.tenantId = tenantId
        self.key = SymmetricKey(data: Data(secretKey.utf8))
        self.lifetime = lifetime
    }

    func token(for action: ActionRecord, scope: String?, at now: Date) -> String {
        let issuedAt = Int(now.timeIntervalSince1970)
        let claims = AccessTokenClaims(
            sub: action.userId,
            iat: issuedAt,
            exp: issuedAt + Int(lifetime),
            scope: scope,
            other: .init(
                tenantId: tenantId,
                userId: action.userId,
                actionCode: action.actionCode,
                idempotencyKey: action.idempotencyKey
            )
        )
        let header = Base64.urlEncodedWithoutPadding(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let payload = Base64.urlEncodedWithoutPadding(try! JSONEncoder().encode(claims))
        let signingInput = header + "." + payload
        let signature = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: key)
        return signingInput + "." + Base64.urlEncodedWithoutPadding(Data(signature))
    }

    package func verify(_ token: String, at now: Date) throws(Failure) -> AccessTokenClaims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Base64.decodeLenient(parts[0]),
            let header = try? JSONDecoder().decode([String: String].self, from: headerData),
            header["alg"] == "HS256", let signature = Base64.decodeLenient(parts[2])
        else { throw .malformed }
        let signingInput = Data("\(parts[0]).\(parts[1])".utf8)
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: key) else {
            throw .badSignature
        }
        guard let payload = Base64.decodeLenient(parts[1]),
            let claims = try? JSONDecoder().decode(AccessTokenClaims.self, from: payload)
        else { throw .malformed }
        guard claims.other.tenantId == tenantId else { throw .otherTenant }
        guard Double(claims.exp) > now.timeIntervalSince1970 else { throw .expired }
        return claims
    }
}
