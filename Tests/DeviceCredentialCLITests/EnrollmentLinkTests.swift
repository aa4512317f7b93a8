import Foundation
import Testing

@testable import DeviceCredentialCLI

/// How `devicecred open` reads a link, without a server: what is accepted, and each refusal's code.
@Suite struct EnrollmentLinkTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let tenant = "11111111-2222-4333-8444-555555555555"

    /// A JWT-shaped token with `claims` (unsigned: the link never checks signatures, the server does).
    static func token(_ claims: [String: Any]) throws -> String {
        let encode = { (data: Data) in
            data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        return encode(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8)) + "."
            + encode(try JSONSerialization.data(withJSONObject: claims)) + "." + encode(Data("signature".utf8))
    }

    static func validToken(user: String = "alice", expiresIn seconds: Double = 600) throws -> String {
        try token([
            "sub": user, "exp": now.timeIntervalSince1970 + seconds,
            "other": ["tenantId": tenant, "userId": user, "actionCode": "enroll"],
        ])
    }

    static func link(_ query: String) -> String { "devicecred:enroll?" + query }

    static func standardQuery(token: String, api: String = "https%3A%2F%2Fapi.example.com%2Fv1") -> String {
        "api=\(api)&tenant=\(tenant)&token=\(token)"
    }

    /// The code and exit status of the refusal of `text`.
    static func refusal(_ text: String) -> (code: String, status: Int32)? {
        do {
            _ = try EnrollmentLink(text, now: now)
            return nil
        } catch let failure as CommandFailure {
            return (failure.code, failure.status.code)
        } catch {
            return ("unexpected \(error)", -1)
        }
    }

    @Test func aWellFormedLinkIsRead() throws {
        let token = try Self.validToken()
        let link = try EnrollmentLink(Self.link(Self.standardQuery(token: token) + "&profile=work"), now: Self.now)
        #expect(link.apiURL == "https://api.example.com/v1")
        #expect(link.apiHost == "api.example.com")
        #expect(link.tenantID == Self.tenant)
        #expect(link.token == token)
        #expect(link.profile == "work")
        #expect(link.claims.userID == "alice")
        #expect(link.claims.expiry == Self.now.addingTimeInterval(600))
        #expect(!link.description.contains(token), "the token never shows")
    }

    @Test func theProfileDefaultsAndLoopbackHTTPIsAccepted() throws {
        let token = try Self.validToken()
        let loopback = try EnrollmentLink(
            Self.link(Self.standardQuery(token: token, api: "http://127.0.0.1:8787/v1")), now: Self.now)
        #expect(loopback.profile == "default")
        #expect(loopback.apiHost == "127.0.0.1:8787")
        for host in ["localhost", "[::1]", "127.255.0.9"] {
            #expect(Self.refusal(Self.link(Self.standardQuery(token: token, api: "http://\(host)/v1"))) == nil)
        }
    }

    @Test func aTrailingAmpersandAndUppercaseSchemeAreFine() throws {
        let token = try Self.validToken()
        #expect(Self.refusal("DeviceCred:enroll?" + Self.standardQuery(token: token) + "&") == nil)
    }

    @Test(arguments: [
        ("https://devicecred.example/enroll?x=1", "not_a_link"),
        ("devicecred:remove?api=x", "unknown_action"),
        ("devicecred://enroll?api=x", "unknown_action"),
        ("devicecred:enroll", "malformed_link"),
        ("devicecred:enroll?api", "malformed_link"),
        ("devicecred:enroll?tenant=t#token=x", "malformed_link"),
    ])
    func malformedLinksAreRefused(text: String, code: String) {
        let refusal = Self.refusal(text)
        #expect(refusal?.code == code)
        #expect(refusal?.status == 15)
    }

    @Test func unknownRepeatedAndMissingKeysAreRefused() throws {
        let query = Self.standardQuery(token: try Self.validToken())
        #expect(Self.refusal(Self.link(query + "&keystore=file"))?.code == "unknown_key")
        #expect(Self.refusal(Self.link(query + "&key-store=file"))?.code == "unknown_key")
        #expect(Self.refusal(Self.link(query + "&device-name=x"))?.code == "unknown_key")
        #expect(Self.refusal(Self.link(query + "&tenant=other"))?.code == "repeated_key")
        #expect(Self.refusal(Self.link(query + "&profile=a&profile=b"))?.code == "repeated_key")
        #expect(Self.refusal(Self.link("api=https://api.example.com/v1&tenant=\(Self.tenant)"))?.code == "missing_key")
        #expect(Self.refusal(Self.link(query.replacingOccurrences(of: Self.tenant, with: "")))?.code == "missing_key")
        #expect(Self.refusal(Self.link(query + "&profile=../x"))?.code == "invalid_profile_name")
        #expect(Self.refusal(Self.link(query + "&profile="))?.code == "invalid_profile_name")
    }

    @Test(arguments: ["%", "%4", "%zz", "%C3%28", "%0A", "%1B%5B2J"])
    func badPercentEncodingIsRefused(bad: String) throws {
        let query = "api=https%3A%2F%2Fapi.example.com%2Fv1&tenant=\(Self.tenant)\(bad)&token=\(try Self.validToken())"
        #expect(Self.refusal(Self.link(query))?.code == "bad_percent_encoding")
    }

    @Test(arguments: [
        ("http://api.example.com/v1", "insecure_api_url"),
        ("http://127.example.com/v1", "insecure_api_url"),
        ("http://127.0.0.1.example.com/v1", "insecure_api_url"),
        ("http://10.0.0.1/v1", "insecure_api_url"),
        ("ftp://api.example.com/v1", "invalid_api_url"),
        ("api.example.com/v1", "invalid_api_url"),
        ("https://api.example.com@evil.example/v1", "invalid_api_url"),
        ("https://api.example.com/v1?x=1", "invalid_api_url"),
        ("https://%D0%B0pi.example.com/v1", "invalid_api_url"),
    ])
    func unsafeAPIURLsAreRefused(api: String, code: String) throws {
        let encoded = api.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "%")))!
        #expect(Self.refusal(Self.link(Self.standardQuery(token: try Self.validToken(), api: encoded)))?.code == code)
    }

    @Test func malformedTokensAreRefused() throws {
        let malformed = try [
            "not-a-token", "a.b.c", "-", "a..c",
            Self.token(["sub": "alice"]),  // no expiry
            Self.token(["exp": Self.now.timeIntervalSince1970 + 600]),  // no user
            Self.token(["sub": "alice", "exp": 1e300]),  // an expiry that is not a time
            Self.token(["sub": "alice", "exp": "soon"]),
        ]
        for token in malformed {
            let refusal = Self.refusal(Self.link(Self.standardQuery(token: token)))
            #expect(refusal?.code == "malformed_token", "\(token)")
            #expect(refusal?.status == 15)
        }
    }

    @Test func anExpiredTokenIsRefusedAsRejected() throws {
        let expired = try Self.validToken(expiresIn: -90)
        let refusal = Self.refusal(Self.link(Self.standardQuery(token: expired)))
        #expect(refusal?.code == "expired_token")
        #expect(refusal?.status == 8)
        do {
            _ = try EnrollmentLink(Self.link(Self.standardQuery(token: expired)), now: Self.now)
        } catch let failure as CommandFailure {
            #expect(failure.message.contains("expired 1m 30s ago"))
            #expect(!failure.message.contains(expired))
        }
    }

    @Test func aTokenForAnotherTenantIsRefused() throws {
        let other = try Self.token([
            "sub": "alice", "exp": Self.now.timeIntervalSince1970 + 600, "other": ["tenantId": "someone-else"],
        ])
        #expect(Self.refusal(Self.link(Self.standardQuery(token: other)))?.code == "tenant_mismatch")
    }

    @Test func outsideTextInMessagesIsEscaped() throws {
        let query = Self.standardQuery(token: try Self.validToken())
        let written = try #require(Self.failure(Self.link(query + "&x%1B%5B2J=1")))
        #expect(written.code == "unknown_key")
        #expect(written.message.contains("'x%1B%5B2J'"), "keys are not decoded: \(written.message)")
        let raw = try #require(Self.failure(Self.link(query + "&\u{1B}[2J=1")))
        #expect(raw.code == "unknown_key")
        #expect(!raw.message.contains("\u{1B}"))
        #expect(raw.message.contains("'\\e[2J'"), "\(raw.message)")
    }

    static func failure(_ text: String) -> CommandFailure? {
        do {
            _ = try EnrollmentLink(text, now: now)
            return nil
        } catch {
            return error as? CommandFailure
        }
    }
}
