import DeviceCredentialServer
import Foundation

/// The local server's parsers: JSON bodies, the hosted page's forms, Authorization headers, tokens, the
/// config file.
enum ServerTargets {
    static let all: [FuzzTarget] = [
        FuzzTarget(name: "server-json", summary: "every JSON request body, as its route reads it", body: json),
        FuzzTarget(name: "hosted-form", summary: "the hosted page's form posts (urlencoded)", body: form),
        FuzzTarget(name: "authorization", summary: "Basic and Bearer Authorization headers", body: authorization),
        FuzzTarget(name: "access-token", summary: "a token from track (HS256 JWT) to verify", body: accessToken),
        FuzzTarget(name: "toml-config", summary: "the --config file, TOML (and the same bytes as JSON)", body: config),
    ]

    static func json(_ bytes: [UInt8]) throws {
        let data = Data(bytes)
        for decode in RequestBodies.json { try? decode(data) }
        _ = try? JSONDecoder().decode(JSONValue.self, from: data)
    }

    static func form(_ bytes: [UInt8]) throws {
        for decode in RequestBodies.forms { try? decode(bytes) }
    }

    /// The documented development tenant and key: an input that is a token they signed gets verified.
    private static let signer = AccessTokenSigner(
        tenantId: ServerConfiguration.devTenantId, secretKey: ServerConfiguration.devSecretKey, lifetime: 600)

    static func authorization(_ bytes: [UInt8]) throws {
        let header = String(decoding: bytes, as: UTF8.self)
        _ = RequestAuthentication.basicUserName(authorization: header)
        if let token = RequestAuthentication.bearerToken(authorization: header) {
            _ = try? signer.verify(token, at: Date(timeIntervalSince1970: 1_795_915_200))
        }
        try? RequestBodies.publicKey(queryValue: header)
    }

    static func accessToken(_ bytes: [UInt8]) throws {
        _ = try signer.verify(String(decoding: bytes, as: UTF8.self), at: Date(timeIntervalSince1970: 1_795_915_200))
    }

    static func config(_ bytes: [UInt8]) throws {
        for isTOML in [true, false] {
            guard let file = try? ConfigFile.decode(Data(bytes), isTOML: isTOML) else { continue }
            var configuration = ServerConfiguration()
            try? file.apply(to: &configuration)
            try? configuration.validate()
        }
    }
}
