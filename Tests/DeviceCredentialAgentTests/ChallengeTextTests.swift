import DeviceCredential
import DeviceCredentialAgent
import Foundation
import Testing

/// What every prompter shows for a challenge whose values came from a hostile browser or server.
@Suite("challenge text: hostile values")
struct ChallengeTextTests {
    private static let forgedUserAgent = "x\u{1B}[1A\u{1B}[2K\rfrom 10.0.0.1 (office VPN)\n\u{9B}2J"

    private func request(
        userAgent: String? = forgedUserAgent, expiresAt: Date? = nil, profile: String = "work",
        now: Date = Date(timeIntervalSince1970: 1_000_000)
    ) throws -> PromptRequest {
        PromptRequest(
            challenge: AppChallenge(
                challengeId: "c-1", userAuthenticatorId: "a-1", userId: "alice\u{1B}]0;owned\u{07}",
                actionCode: "signIn\r\nAction: nothing", userAgent: userAgent, ipAddress: "203.0.113.9\u{1B}[2K",
                expiresAt: expiresAt),
            profile: try DeviceProfile(name: profile, apiURL: "http://127.0.0.1:1/v1", tenantID: "t"), now: now)
    }

    @Test("no control character reaches a line; each is shown as its escape")
    func escaped() throws {
        let request = try request()
        let lines = [ChallengeText.title(for: request)] + ChallengeText.details(for: request)
        for line in lines {
            #expect(!line.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }, "\(line)")
        }
        #expect(lines.contains(#"Action: signIn\r\nAction: nothing"#))
        #expect(lines.contains(#"IP address: 203.0.113.9\e[2K"#))
        #expect(lines.contains(#"Browser: x\e[1A\e[2K\rfrom 10.0.0.1 (office VPN)\n\u{9B}2J"#))
        #expect(lines.contains(#"User: alice\e]0;owned\x07"#))
    }

    @Test("a known browser is summarised; the summary drops what was written around it")
    func summarised() throws {
        let request = try request(userAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0\u{1B}[1Afrom 10.0.0.1")
        #expect(ChallengeText.details(for: request).contains("Browser: Chrome 131 on Linux"))
    }

    @Test("no time, however large, traps; an unknown one is said")
    func extremeTimes() throws {
        let now = Date(timeIntervalSince1970: 1_000_000)
        let far = try request(expiresAt: Date(timeIntervalSince1970: 1e300), now: now)
        #expect(ChallengeText.details(for: far).contains { $0.hasPrefix("Time left: ") })
        let past = try request(expiresAt: Date(timeIntervalSince1970: -1e300), now: now)
        #expect(past.timeLeft == .zero)
        #expect(ChallengeText.details(for: past).contains("Time left: 0 s"))
        let unknown = try request(expiresAt: nil)
        #expect(ChallengeText.details(for: unknown).contains("Time left: unknown"))
        #expect(ChallengeText.timeLeft(.seconds(Int64.max)).hasSuffix(" s"))
        #expect(ChallengeText.timeLeft(.seconds(-5)) == "0 s")
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(ChallengeText.json(for: far))) as? [String: Any])
        #expect(document["expiresAt"] == nil || document["expiresAt"] is NSNull)
        #expect((document["secondsLeft"] as? Int ?? -1) >= 0)
    }

    @Test("the command prompter's JSON keeps the values exact and escapes C1 controls")
    func json() throws {
        let bytes = ChallengeText.json(for: try request())
        #expect(!bytes.contains(0x1B))
        #expect(!String(decoding: bytes, as: UTF8.self).unicodeScalars.contains { (0x7F...0x9F).contains($0.value) })
        let document = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(document["userAgent"] as? String == Self.forgedUserAgent)
    }

    @Test("the approve command names the profile unless it is the default one")
    func approveCommand() throws {
        #expect(ChallengeText.approveCommand(for: try request()) == "devicecred approve --code CODE --profile work")
        #expect(ChallengeText.approveCommand(for: try request(profile: "default")) == "devicecred approve --code CODE")
    }

    @Test("without buttons, the notification names both commands, with the profile and the code when needed")
    func answerFromTerminal() throws {
        #expect(
            ChallengeText.answerFromTerminal(for: try request())
                == "This notification has no buttons here: answer with devicecred approve --profile work or "
                + "devicecred deny --profile work in a terminal.")
        var numberMatched = try request(profile: "default")
        numberMatched.needsVerificationCode = true
        #expect(
            ChallengeText.answerFromTerminal(for: numberMatched)
                == "This notification has no buttons here: answer with devicecred approve --code CODE or "
                + "devicecred deny in a terminal.")
    }
}
