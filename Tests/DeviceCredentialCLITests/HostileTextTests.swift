import DeviceCredentialTestSupport
import Foundation
import Testing

/// What a hostile browser or server writes reaches the person escaped: the real CLI against the real
/// server (a track whose context carries escape sequences), and against a fault server for its errors,
/// extreme numbers and redirects.
@Suite struct HostileTextTests {
    /// A browser whose User-Agent redraws the line above as "from 10.0.0.1 (office VPN)".
    static let forgedUserAgent = "x\u{1B}[1A\u{1B}[2K\rfrom 10.0.0.1 (office VPN)\nforged row\u{9B}2J"
    static let forgedIP = "198.51.100.66\u{1B}[2K\r203.0.113.1"
    static let forgedNote = "\u{1B}]0;owned\u{07}\u{9B}1A\n\u{2028}"

    /// Every byte a terminal could act on: C0 controls but the newlines that end lines, DEL, and C1
    /// controls (U+0080-U+009F, as UTF-8 scalars) and the line separators.
    static func actingCharacters(in text: String) -> [Unicode.Scalar] {
        text.unicodeScalars.filter {
            ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) || [0x2028, 0x2029].contains($0.value)
        }
    }

    private static func enrolledSandbox() async throws -> (CLISandbox, user: String, profile: String) {
        let sandbox = try CLISandbox()
        let user = TestEnvironment.uniqueName("cli-user")
        let profile = TestEnvironment.uniqueName("hostile")
        let enrolled = try await sandbox.enroll(userID: user, profile: profile).result
        try #require(enrolled.status == 0, "\(enrolled)")
        return (sandbox, user, profile)
    }

    @Test func aForgedSignInContextIsShownEscapedNeverActedOn() async throws {
        let (sandbox, user, profile) = try await Self.enrolledSandbox()
        let push = try await sandbox.server.pushChallenge(
            userID: user,
            body: ["userAgent": Self.forgedUserAgent, "ipAddress": Self.forgedIP, "custom": ["note": Self.forgedNote]])

        let human = try await sandbox.run("challenge", "--profile", profile)
        #expect(human.status == 0, "\(human)")
        #expect(Self.actingCharacters(in: human.allOutput).isEmpty, "\(human)")
        #expect(human.stdout.contains(#"from         198.51.100.66\e[2K\r203.0.113.1"#), "\(human.stdout)")
        #expect(human.stdout.contains(#"browser      x\e[1A\e[2K\rfrom 10.0.0.1 (office VPN)\nforged row\u{9B}2J"#))
        #expect(human.stdout.contains(#"\u001b]0;owned\u0007\u009b1A\n\u2028"#), "custom as escaped JSON")
        #expect(!human.stdout.contains("\nforged row"), "no row is forged")

        let full = try await sandbox.run("challenge", "--profile", profile, "--full")
        #expect(Self.actingCharacters(in: full.allOutput).isEmpty, "\(full)")
        #expect(full.stdout.contains(#"user agent   x\e[1A\e[2K\r"#))

        let json = try await sandbox.run("challenge", "--profile", profile, "--json")
        #expect(json.status == 0, "\(json)")
        #expect(
            Self.actingCharacters(in: json.stdout.replacingOccurrences(of: "\n", with: "")).isEmpty, "\(json.stdout)")
        #expect(json.stdout.contains(#"\u009b2J"#))
        let document = try json.jsonObject()
        #expect(document["userAgent"] as? String == Self.forgedUserAgent, "--json keeps the exact value")
        #expect(document["ipAddress"] as? String == Self.forgedIP)
        #expect((document["custom"] as? [String: Any])?["note"] as? String == Self.forgedNote)
        #expect(document["challengeId"] as? String == push.challengeID)
    }

    @Test func theServersErrorWordsAndContentTypeAreShownEscaped() async throws {
        let (sandbox, _, profile) = try await Self.enrolledSandbox()
        let hostileError = try HTTPFixture(
            always: .respond(
                status: 400, headers: ["Content-Type": "application/json"],
                body: #"{"errorCode":"nope\u001b[2J","errorDescription":"x\u001b[1A\u001b[2K\rall good\n\u009b2J"}"#))
        defer { hostileError.stop() }
        let refused = try await sandbox.run("status", "--profile", profile, "--api-url", hostileError.baseURL)
        #expect(refused.status == 1, "\(refused)")
        #expect(Self.actingCharacters(in: refused.allOutput).isEmpty, "\(refused)")
        #expect(refused.stderr.contains(#"devicecred: x\e[1A\e[2K\rall good\n\u{9B}2J"#), "\(refused.stderr)")
        let refusedJSON = try await sandbox.run(
            "status", "--profile", profile, "--api-url", hostileError.baseURL, "--json")
        #expect(Self.actingCharacters(in: refusedJSON.allOutput).isEmpty, "\(refusedJSON)")

        let hostileType = try HTTPFixture(
            always: .respond(status: 200, headers: ["Content-Type": "text/html\u{1B}[2J\u{9B}1A"], body: "{}"))
        defer { hostileType.stop() }
        let notJSON = try await sandbox.run("status", "--profile", profile, "--api-url", hostileType.baseURL)
        #expect(notJSON.status == 6, "\(notJSON)")
        #expect(Self.actingCharacters(in: notJSON.allOutput).isEmpty, "\(notJSON)")
        #expect(notJSON.stderr.contains(#"text/html\e[2J\u{9B}1A"#), "\(notJSON.stderr)")
    }

    @Test func theRemovedAuthenticatorsIdIsShownEscaped() async throws {
        let (sandbox, _, profile) = try await Self.enrolledSandbox()
        let forgedID = "a-1\u{1B}[2K\rremoval refused, key kept\u{9B}1A"
        let fixture = try HTTPFixture { request in
            request.method == "POST" && request.target.hasSuffix("/remove")
                ? .respond(
                    status: 200, headers: ["Content-Type": "application/json"],
                    body: #"{"removedAuthenticatorId":"a-1\u001b[2K\rremoval refused, key kept\u009b1A"}"#)
                : .respond(status: 404, headers: [:], body: "")
        }
        defer { fixture.stop() }
        let human = try await sandbox.run("remove", "--profile", profile, "--api-url", fixture.baseURL)
        #expect(human.status == 0, "\(human)")
        #expect(Self.actingCharacters(in: human.allOutput).isEmpty, "\(human)")
        #expect(
            human.stdout.contains(#"authenticator a-1\e[2K\rremoval refused, key kept\u{9B}1A removed"#), "\(human)")
        #expect(!human.stdout.contains(forgedID))
    }

    @Test(arguments: ["1e300", "-1e300", String(repeating: "9", count: 400), "1e400", #""NaN""#])
    func anExtremeExpiryIsUnknownAndNeverCrashes(expiresAt: String) async throws {
        let (sandbox, _, profile) = try await Self.enrolledSandbox()
        // The nonce step fails, so the CLI reads the challenge with the plain GET, as the SDKs do.
        let fixture = try HTTPFixture { request in
            request.method == "POST"
                ? .respond(status: 500, headers: [:], body: "")
                : .respond(
                    status: 200, headers: ["Content-Type": "application/json"],
                    body: #"{"userAuthenticatorId":"a","challengeId":"01e8189d-272a-49ee-9409-e160ecec881a","#
                        + #""actionCode":"signIn","expiresAt":"# + expiresAt + "}")
        }
        defer { fixture.stop() }
        let human = try await sandbox.run("challenge", "--profile", profile, "--api-url", fixture.baseURL)
        #expect(human.status == 0, "\(human)")
        #expect(
            human.stdout.hasPrefix("pending challenge 01e8189d-272a-49ee-9409-e160ecec881a (expiry unknown)\n"),
            "\(human)")
        let json = try await sandbox.run("challenge", "--profile", profile, "--api-url", fixture.baseURL, "--json")
        #expect(json.status == 0, "\(json)")
        let document = try json.jsonObject()
        #expect(document["expiresAt"] is NSNull)
        #expect(document["expiresInSeconds"] is NSNull)
    }

    @Test func aRedirectToAFileIsANetworkFailure() async throws {
        let (sandbox, _, profile) = try await Self.enrolledSandbox()
        let fixture = try HTTPFixture(
            always: .respond(status: 302, headers: ["Location": "file:///etc/passwd"], body: ""))
        defer { fixture.stop() }
        let result = try await sandbox.run("status", "--profile", profile, "--api-url", fixture.baseURL, "--json")
        #expect(result.status == 6, "\(result)")
        #expect(try result.errorCode() == "network_error")
        #expect(!result.allOutput.contains("root:"), "nothing was read from the file")
    }

    @Test func anAPIURLWithoutTheVersionGetsAHint() async throws {
        let (sandbox, _, profile) = try await Self.enrolledSandbox()
        let bare = sandbox.server.apiURL.replacingOccurrences(of: "/v1", with: "")
        let result = try await sandbox.run("status", "--profile", profile, "--api-url", bare)
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("does not end with /v1"), "\(result.stderr)")
    }
}
