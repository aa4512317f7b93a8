import Crypto
import Foundation
import Hummingbird

/// The three ways a request proves who sends it.
package struct RequestAuthentication: Sendable {
    let tenantId: String
    let secretKey: String
    let tokens: AccessTokenSigner

    /// Server API: Basic with the secret key as user name.
    func requireSecretKey(_ request: Request) throws(APIError) {
        guard let user = basicUserName(request) else {
            throw .unauthorized("send the secret key as the Basic auth user name")
        }
        guard Self.constantTimeEqual(user, secretKey) else { throw .unauthorized("the secret key is not valid") }
    }

    /// Client API without a token: Basic with the tenant id, in any of the three forms seen in the wild.
    func requireTenant(_ request: Request) throws(APIError) {
        guard let user = basicUserName(request) else {
            throw .unauthorized("send the tenant id as the Basic auth user name")
        }
        guard user == tenantId else { throw .unauthorized("the tenant id is not valid") }
    }

    /// Client API with a token from `track` or a push approval.
    func requireBearer(_ request: Request, at now: Date) throws(APIError) -> AccessTokenClaims {
        guard let token = Self.bearerToken(authorization: request.headers[.authorization]) else {
            throw .unauthorized("send the token from track as 'Authorization: Bearer <token>'")
        }
        return try requireToken(token, at: now)
    }

    /// The token of an `Authorization: Bearer <token>` header; nil unless it is one.
    package static func bearerToken(authorization: String?) -> String? {
        guard let header = authorization, header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            return nil
        }
        return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }

    /// A Bearer token when the request sends one (its claims), else the tenant's Basic auth (nil): for the
    /// calls a browser makes with a track token when the page has one, and without one otherwise.
    func requireBearerOrTenant(_ request: Request, at now: Date) throws(APIError) -> AccessTokenClaims? {
        if let header = request.headers[.authorization], header.count > 7, header.prefix(7).lowercased() == "bearer " {
            return try requireBearer(request, at: now)
        }
        try requireTenant(request)
        return nil
    }

    /// A token from `track` or a push approval that authenticates the request itself (a Bearer header, or
    /// the hosted page's `token` parameter): expired or not valid is 401.
    func requireToken(_ token: String, at now: Date) throws(APIError) -> AccessTokenClaims {
        do {
            return try tokens.verify(token, at: now)
        } catch .expired {
            throw .expiredBearer()
        } catch {
            throw .unauthorized("the token is not valid")
        }
    }

    /// The user name of a Basic header: standard or base64url, padded or not, with or without `:`,
    /// percent-encoded or not.
    private func basicUserName(_ request: Request) -> String? {
        Self.basicUserName(authorization: request.headers[.authorization])
    }

    /// The user name of an `Authorization` header's Basic credentials; nil unless it has one.
    package static func basicUserName(authorization: String?) -> String? {
        guard let header = authorization, header.count > 6,
            header.prefix(6).lowercased() == "basic "
        else { return nil }
        guard let data = Base64.decodeLenient(header.dropFirst(6).trimmingCharacters(in: .whitespaces)),
            let decoded = String(data: data, encoding: .utf8)
        else { return nil }
        let user = decoded.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return user.removingPercentEncoding ?? String(user)
    }

    private static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        Data(SHA256.hash(data: Data(lhs.utf8))) == Data(SHA256.hash(data: Data(rhs.utf8)))
    }
}
