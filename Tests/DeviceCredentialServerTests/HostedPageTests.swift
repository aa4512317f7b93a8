import AuthsignalTestDevice
import DeviceCredentialServer
import Foundation
import HTTPTypes
import Testing

/// The hosted sign-in page behind `track`'s `url`, driven as a browser without JavaScript would: plain GETs,
/// a form post, and following `303`s by hand.
@Suite struct HostedPageTests {
    static let numberMatching: @Sendable (inout ServerConfiguration) -> Void = {
        $0.actions = ["signIn": ActionPolicy(defaultOutcome: .challenge, numberMatching: true)]
    }

    @Test func redirectFlowEndsAtTheRedirectUrlWithATokenThatValidates() async throws {
        try await TestServer(Self.numberMatching).run { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let tracked = try await harness.track("alice", "signIn", ["redirectUrl": "https://app.example/callback"])
            #expect(tracked.state == "CHALLENGE_REQUIRED")

            let start = try await harness.openTrackURL(tracked)
            #expect(start.status == .ok)
            expectPageHeaders(start, formAction: "'self' https://app.example")
            #expect(start.text.contains("Send a push to my device"))
            #expect(start.text.contains(#"<form method="post" action="/v1/ui/push">"#))
            #expect(start.text.contains("<strong>alice</strong>") && start.text.contains("<strong>signIn</strong>"))
            #expect(!start.text.contains("<script"))

            let pushed = try await harness.pressPush(tracked.token)
            #expect(pushed.status == .seeOther)
            expectPageHeaders(
                pushed, contentType: "text/plain; charset=utf-8", formAction: "'self' https://app.example")
            let waitPath = try #require(pushed.headers[.location])
            #expect(waitPath.hasPrefix("/v1/ui/wait?token="))
            let challengeId = try #require(
                URLComponents(string: waitPath)?.queryItems?.first { $0.name == "challengeId" }?.value)

            let pending = try await harness.send(.get, waitPath)
            #expect(pending.status == .ok)
            expectPageHeaders(pending, formAction: "'self' https://app.example")
            #expect(pending.text.contains(#"<meta http-equiv="refresh" content="2">"#))
            #expect(pending.text.contains("Approve the sign-in on your device"))
            let code = try #require(Self.verificationCode(in: pending.text))
            // Two digits side by side that no spacing can split: "61" must not read as "6 1".
            #expect(code.count == 2 && code.allSatisfy(\.isASCII) && Int(code) != nil)
            let codeStyle = try #require(pending.text.split(separator: "\n").first { $0.hasPrefix(".code {") })
            #expect(!codeStyle.contains("letter-spacing") && codeStyle.contains("white-space: nowrap"))

            #expect(try await harness.getChallenge(device).string("challengeId") == challengeId)
            let answered = try await harness.answer(device, challengeId, approved: true, verificationCode: code)
            #expect(answered.bool("isVerified") == true)

            // Anything the browser adds cannot choose where it goes.
            let approved = try await harness.send(.get, waitPath + "&redirectUrl=https%3A%2F%2Fevil.example%2F")
            #expect(approved.status == .seeOther)
            expectPageHeaders(
                approved, contentType: "text/plain; charset=utf-8", formAction: "'self' https://app.example")
            let location = try #require(approved.headers[.location])
            #expect(location.hasPrefix("https://app.example/callback?token="))
            let accessToken = String(location.dropFirst("https://app.example/callback?token=".count))
            #expect(accessToken != tracked.token && !accessToken.isEmpty)

            let validated = try await harness.validate(accessToken, ["userId": "alice", "action": "signIn"])
            #expect(validated.bool("isValid") == true)
            #expect(validated.string("state") == "CHALLENGE_SUCCEEDED")
            #expect(validated.string("idempotencyKey") == tracked.idempotencyKey)
        }
    }

    @Test func withoutRedirectUrlTheApprovalShowsSignedInWithoutTheToken() async throws {
        try await withServer { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let tracked = try await harness.track("alice")
            let start = try await harness.openTrackURL(tracked)
            expectPageHeaders(start, formAction: "'self'")

            let waitPath = try #require(try await harness.pressPush(tracked.token).headers[.location])
            let pending = try await harness.send(.get, waitPath)
            #expect(pending.text.contains(#"http-equiv="refresh""#))
            #expect(Self.verificationCode(in: pending.text) == nil)

            let challengeId = try #require(try await harness.getChallenge(device).string("challengeId"))
            #expect(try await harness.answer(device, challengeId, approved: true).bool("isVerified") == true)

            let signedIn = try await harness.send(.get, waitPath)
            #expect(signedIn.status == .ok)
            #expect(signedIn.text.contains("<h1>Signed in</h1>"))
            #expect(!signedIn.text.contains("http-equiv"))
            #expect(!signedIn.text.contains("eyJ"))  // no JWT at all: the new token is for the backend
            #expect(try await harness.validate(tracked.token).string("state") == "CHALLENGE_SUCCEEDED")
        }
    }

    @Test func aRedirectUrlThatIsNotHttpIsNeverFollowed() async throws {
        try await withServer { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let tracked = try await harness.track("alice", "signIn", ["redirectUrl": "javascript:alert(1)"])
            let waitPath = try #require(try await harness.pressPush(tracked.token).headers[.location])
            let challengeId = try #require(try await harness.getChallenge(device).string("challengeId"))
            _ = try await harness.answer(device, challengeId, approved: true)
            let signedIn = try await harness.send(.get, waitPath)
            #expect(signedIn.status == .ok && signedIn.headers[.location] == nil)
            #expect(signedIn.text.contains("<h1>Signed in</h1>") && !signedIn.text.contains("javascript:"))
        }
    }

    @Test func aRedirectUrlWithAQueryGetsTheTokenAfterAnAmpersand() async throws {
        try await withServer { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let tracked = try await harness.track(
                "alice", "signIn", ["redirectUrl": "http://localhost:3000/auth/done?state=a%20b&next=%2Fhome#top"])
            let waitPath = try #require(try await harness.pressPush(tracked.token).headers[.location])
            let challengeId = try #require(try await harness.getChallenge(device).string("challengeId"))
            _ = try await harness.answer(device, challengeId, approved: true)
            let approved = try await harness.send(.get, waitPath)
            let location = try #require(approved.headers[.location])
            let prefix = "http://localhost:3000/auth/done?state=a%20b&next=%2Fhome&token="
            #expect(location.hasPrefix(prefix) && location.hasSuffix("#top"))
            let accessToken = String(location.dropFirst(prefix.count).dropLast("#top".count))
            #expect(try await harness.validate(accessToken).bool("isValid") == true)
            expectPageHeaders(
                approved, contentType: "text/plain; charset=utf-8", formAction: "'self' http://localhost:3000")
        }
    }

    @Test func aDenialSaysSoAndLeadsBackToTheApp() async throws {
        try await withServer { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let tracked = try await harness.track("alice", "signIn", ["redirectUrl": "https://app.example/cb"])
            let waitPath = try #require(try await harness.pressPush(tracked.token).headers[.location])
            let challengeId = try #require(try await harness.getChallenge(device).string("challengeId"))
            _ = try await harness.answer(device, challengeId, approved: false)

            let denied = try await harness.send(.get, waitPath)
            #expect(denied.status == .ok)
            #expect(denied.text.contains("<h1>Sign-in denied</h1>"))
            #expect(denied.text.contains("Back to the app to try again"))
            #expect(!denied.text.contains("http-equiv"))
            let link = try #require(Self.link(in: denied.text, to: "https://app.example/cb?token="))
            let token = String(link.dropFirst("https://app.example/cb?token=".count))
            let validated = try await harness.validate(token)
            #expect(validated.bool("isValid") == false && validated.string("state") == "CHALLENGE_FAILED")

            let again = try await harness.openTrackURL(tracked)
            #expect(again.status == .ok && again.text.contains("<h1>Sign-in failed</h1>"))
            #expect(!again.text.contains("Send a push"))
        }
    }

    @Test func aWrongNumberSaysTheSignInFailed() async throws {
        try await TestServer(Self.numberMatching).run { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let tracked = try await harness.track("alice")
            let waitPath = try #require(try await harness.pressPush(tracked.token).headers[.location])
            let code = try #require(Self.verificationCode(in: try await harness.send(.get, waitPath).text))
            let challengeId = try #require(try await harness.getChallenge(device).string("challengeId"))
            let wrong = code == "10" ? "11" : "10"
            _ = try await harness.answer(device, challengeId, approved: true, verificationCode: wrong)
            let failed = try await harness.send(.get, waitPath)
            #expect(failed.status == .ok && failed.text.contains("<h1>Sign-in failed</h1>"))
            #expect(failed.text.contains("wrong or missing number"))
        }
    }

    @Test func anExpiredPushSaysSoAndCanBeSentAgain() async throws {
        try await TestServer { $0.challengeTTL = 30 }.run { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let tracked = try await harness.track("alice")
            let firstWait = try #require(try await harness.pressPush(tracked.token).headers[.location])
            harness.clock.advance(by: 31)

            let expired = try await harness.send(.get, firstWait)
            #expect(expired.status == .ok)
            #expect(expired.text.contains("<h1>The push expired</h1>"))
            #expect(!expired.text.contains("http-equiv"))
            #expect(expired.text.contains(#"<form method="post" action="/v1/ui/push">"#))
            #expect(expired.text.contains(#"<input type="hidden" name="token" value="\#(tracked.token)">"#))

            let secondWait = try #require(try await harness.pressPush(tracked.token).headers[.location])
            #expect(secondWait != firstWait)
            let challengeId = try #require(try await harness.getChallenge(device).string("challengeId"))
            #expect(secondWait.hasSuffix("challengeId=\(challengeId)"))
            _ = try await harness.answer(device, challengeId, approved: true)
            #expect(try await harness.send(.get, secondWait).text.contains("<h1>Signed in</h1>"))
        }
    }

    @Test func aBadOrExpiredTokenIsAnHTML401() async throws {
        try await withServer { harness in
            try await harness.enroll(TestDevice(), as: "alice")
            let tracked = try await harness.track("alice")
            // A well-formed token signed with another secret key.
            let forged = try await TestServer { $0.secretKey = "another secret" }.run { other in
                try await other.send(.post, "users/alice/actions/signIn", auth: .secret("another secret"), json: [:])
                    .string("token") ?? ""
            }
            #expect(forged.split(separator: ".").count == 3)
            let refusals = [
                try await harness.send(.get, "/v1/ui"),
                try await harness.send(.get, "/v1/ui?token=not.a.token"),
                try await harness.send(.get, "/v1/ui?token=\(forged)"),
                try await harness.pressPush("not.a.token"),
                try await harness.send(.get, "/v1/ui/wait?token=\(forged)&challengeId=x"),
            ]
            for refusal in refusals {
                #expect(refusal.status == .unauthorized)
                expectPageHeaders(refusal, formAction: "'self'")
                #expect(refusal.text.contains("This sign-in link is not valid"))
                #expect(refusal.text.contains("401 unauthorized"))
            }

            let waitPath = try #require(try await harness.pressPush(tracked.token).headers[.location])
            harness.clock.advance(by: 601)
            for expired in [
                try await harness.openTrackURL(tracked), try await harness.pressPush(tracked.token),
                try await harness.send(.get, waitPath),
            ] {
                #expect(expired.status == .unauthorized)
                expectPageHeaders(expired, formAction: "'self'")
                #expect(expired.text.contains("This sign-in link has expired"))
                #expect(expired.text.contains("401 expired_token"))
            }
        }
    }

    @Test func anotherActionsChallengeIsNotFound() async throws {
        try await withServer { harness in
            try await harness.enroll(TestDevice(), as: "alice")
            let first = try await harness.track("alice")
            let waitPath = try #require(try await harness.pressPush(first.token).headers[.location])
            let challengeId = try #require(URLComponents(string: waitPath)?.queryItems?.last?.value)
            let second = try await harness.track("alice")
            let other = try await harness.send(.get, "/v1/ui/wait?token=\(second.token)&challengeId=\(challengeId)")
            #expect(other.status == .notFound && other.contentType == "text/html; charset=utf-8")
            #expect(other.text.contains("no challenge with this id for this token"))
        }
    }

    @Test func userIdsAndActionCodesAreEscaped() async throws {
        try await withServer { harness in
            let user = #"<script>alert("x")<b>&'"#
            // A quote with a combining mark after it is one Character, but a browser ends an attribute at it.
            let action = "<img src=x onerror=alert(1)>\"\u{301}x"
            // Outside #expect: the macro's expansion breaks on a combining mark in a literal.
            let (escapedAction, rawQuoteWithMark) = ("&lt;img src=x onerror=alert(1)&gt;&quot;\u{301}x", "\"\u{301}")
            let path = { (text: String) in text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }
            // Not enrolled yet: ALLOW, and the page says how to enroll, naming the user.
            let unenrolled = try await harness.track(path(user), path(action))
            let hint = try await harness.openTrackURL(unenrolled)
            #expect(hint.status == .ok && hint.text.contains("devicecred enroll"))
            let added = try await harness.send(
                .post, "client/user-authenticators/push", auth: .bearer(unenrolled.token),
                json: ["publicKey": TestDevice().publicKey, "deviceName": "<i>laptop</i>", "devicePlatform": "linux"])
            #expect(added.status == .ok)
            let challenged = try await harness.track(path(user), path(action))
            let page = try await harness.openTrackURL(challenged)
            #expect(page.text.contains("Send a push to my device"))
            #expect(page.text.contains("&lt;i&gt;laptop&lt;/i&gt;") && !page.text.contains("<i>"))
            for page in [hint, page] {
                #expect(!page.text.contains("<script") && !page.text.contains("<img"))
                #expect(page.text.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;b&gt;&amp;&#39;"))
                #expect(page.text.contains(escapedAction))
                #expect(!page.text.contains(rawQuoteWithMark))
            }
        }
    }

    @Test func statesWithNothingToApproveSaySo() async throws {
        let policies: (inout ServerConfiguration) -> Void = {
            $0.actions = [
                "viewBalance": ActionPolicy(defaultOutcome: .allow),
                "wire": ActionPolicy(defaultOutcome: .review),
                "delete": ActionPolicy(defaultOutcome: .block),
            ]
        }
        try await TestServer(policies).run { harness in
            // Not enrolled: ALLOW, with how to enroll and a way back to the app.
            let allowed = try await harness.track("bob", "signIn", ["redirectUrl": "https://app.example/cb"])
            #expect(allowed.state == "ALLOW")
            let allowPage = try await harness.openTrackURL(allowed)
            #expect(allowPage.status == .ok && allowPage.text.contains("<h1>No verification needed</h1>"))
            #expect(allowPage.text.contains("devicecred enroll") && allowPage.text.contains("Docs/"))
            #expect(!allowPage.text.contains("the action is ALLOW"))
            // The whole command, with this server's API URL and tenant id, ready to copy.
            let url = try #require(allowed.reply.string("url"))
            let apiURL = try #require(url.components(separatedBy: "/ui?").first)
            let command = "devicecred enroll --api-url \(apiURL) --tenant-id \(devTenant) --token-file FILE"
            #expect(allowPage.text.contains("<pre><code>\(command)</code></pre>"), "\(allowPage.text)")
            let link = try #require(Self.link(in: allowPage.text, to: "https://app.example/cb?token="))
            let validated = try await harness.validate(String(link.dropFirst("https://app.example/cb?token=".count)))
            #expect(validated.string("state") == "ALLOW")

            let device = TestDevice()
            let authenticatorId = try await harness.enroll(device, as: "bob")
            for (action, title) in [
                ("viewBalance", "No verification needed"), ("wire", "Waiting for review"),
                ("delete", "Sign-in blocked"),
            ] {
                let page = try await harness.openTrackURL(try await harness.track("bob", action))
                #expect(page.status == .ok && page.text.contains("<h1>\(title)</h1>"), "\(action)")
                #expect(!page.text.contains("Send a push") && !page.text.contains("devicecred enroll"), "\(action)")
            }

            // The device was removed after track: say how to enroll instead of failing.
            let challenged = try await harness.track("bob")
            #expect(challenged.state == "CHALLENGE_REQUIRED")
            #expect(
                try await harness.send(.delete, "users/bob/authenticators/\(authenticatorId)", auth: .secret()).status
                    == .ok)
            let removed = try await harness.openTrackURL(challenged)
            #expect(removed.status == .ok && removed.text.contains("<h1>No device enrolled</h1>"))
            #expect(removed.text.contains("devicecred enroll") && !removed.text.contains("Send a push"))
        }
    }

    @Test func thePagesPushGoesThroughTheWebhookLikeTheClientAPIs() async throws {
        let receiver = WebhookTests.Receiver()
        try await receiver.application.test(.live) { receiverClient in
            let port = try #require(receiverClient.port)
            try await TestServer { $0.pushWebhookURL = URL(string: "http://127.0.0.1:\(port)/fail") }.run { harness in
                let device = TestDevice()
                try await harness.enroll(device, as: "alice")
                let tracked = try await harness.track("alice")
                let refused = try await harness.pressPush(tracked.token)
                #expect(refused.status == .badGateway && refused.contentType == "text/html; charset=utf-8")
                #expect(refused.text.contains("502 webhook_failed"))
                #expect(receiver.received.withLock { $0.count } == 1)
                #expect(try await harness.getChallenge(device).json["challengeId"] == nil)
            }
        }
    }

    @Test func tokensNeverReachTheLog() async throws {
        try await withServer { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let tracked = try await harness.track("alice", "signIn", ["redirectUrl": "https://app.example/cb"])
            _ = try await harness.openTrackURL(tracked)
            let waitPath = try #require(try await harness.pressPush(tracked.token).headers[.location])
            _ = try await harness.send(.get, waitPath)
            let challengeId = try #require(try await harness.getChallenge(device).string("challengeId"))
            _ = try await harness.answer(device, challengeId, approved: true)
            let location = try #require(try await harness.send(.get, waitPath).headers[.location])
            let accessToken = String(location.dropFirst("https://app.example/cb?token=".count))
            _ = try await harness.send(.get, "/v1/ui?token=not.a.valid-token")

            let lines = harness.logs.lines
            #expect(lines.contains { $0.contains("path=/v1/ui/wait") })
            #expect(lines.contains { $0.contains("path=/v1/ui/push") })
            for line in lines {
                #expect(!line.contains(tracked.token) && !line.contains(accessToken), "\(line)")
                #expect(!line.contains("token=") && !line.contains("not.a.valid-token"), "\(line)")
            }
        }
    }

    // MARK: helpers

    /// The security headers every hosted-page answer carries.
    private func expectPageHeaders(
        _ reply: Reply,
        contentType: String = "text/html; charset=utf-8",
        formAction: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(reply.contentType == contentType, sourceLocation: sourceLocation)
        #expect(reply.headers[.cacheControl] == "no-store", sourceLocation: sourceLocation)
        #expect(reply.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", sourceLocation: sourceLocation)
        let policy = reply.headers[.contentSecurityPolicy] ?? ""
        #expect(policy.hasPrefix("default-src 'none';"), sourceLocation: sourceLocation)
        #expect(policy.contains("style-src 'unsafe-inline';"), sourceLocation: sourceLocation)
        #expect(policy.contains("form-action \(formAction);"), sourceLocation: sourceLocation)
        #expect(!policy.contains("script-src"), sourceLocation: sourceLocation)
    }

    /// The number shown for number matching.
    static func verificationCode(in page: String) -> String? {
        guard let start = page.range(of: #"<p class="code">"#),
            let end = page.range(of: "</p>", range: start.upperBound..<page.endIndex)
        else { return nil }
        return String(page[start.upperBound..<end.lowerBound])
    }

    /// The `href` of the first link starting with `prefix`.
    static func link(in page: String, to prefix: String) -> String? {
        guard let start = page.range(of: #"href=""# + prefix) else { return nil }
        let rest = page[start.lowerBound...].dropFirst(#"href=""#.count)
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }
}

extension Harness {
    /// GET the `url` that `track` returned, as a browser opening it would.
    func openTrackURL(_ tracked: Tracked) async throws -> Reply {
        let string = try #require(tracked.reply.string("url"))
        let url = try #require(URLComponents(string: string))
        #expect(url.path == "/v1/ui")
        return try await send(.get, url.path + "?" + (url.percentEncodedQuery ?? ""))
    }

    /// The page's "Send a push" button: a form post with the token.
    func pressPush(_ token: String) async throws -> Reply {
        let field = token.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        return try await send(
            .post, "/v1/ui/push", body: Data("token=\(field)".utf8),
            headers: [.contentType: "application/x-www-form-urlencoded"])
    }
}
