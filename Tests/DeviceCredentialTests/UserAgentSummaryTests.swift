import DeviceCredential
import Testing

@Suite("A browser's User-Agent in a few words")
struct UserAgentSummaryTests {
    @Test(
        "known browsers and systems are named with the major version",
        arguments: [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome 131 on Linux"
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
                    + "Safari/537.36 Edg/131.0.2903.86", "Edge 131 on Windows"
            ),
            ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0", "Firefox 140 on Linux"),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                    + "Version/18.1 Mobile/15E148 Safari/604.1", "Safari 18 on iOS"
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
                    + "Mobile Safari/537.36", "Chrome 131 on Android"
            ),
            ("Firefox/140.0", "Firefox 140"),
            ("curl/8.5.0", "curl 8"),
        ])
    func summary(userAgent: String, expected: String) {
        #expect(UserAgentSummary.summary(of: userAgent) == expected)
    }

    @Test("what the sender wrote around the names never reaches the summary")
    func forgedContext() {
        let forged = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0\u{1B}[1A\u{1B}[2K\rfrom 10.0.0.1 (office VPN)"
        #expect(UserAgentSummary.summary(of: forged) == "Chrome 131 on Linux")
        #expect(UserAgentSummary.text(for: forged) == "Chrome 131 on Linux")
    }

    @Test("an unknown value is kept, cut to the limit, for the caller to render")
    func unknown() {
        #expect(UserAgentSummary.summary(of: "x\u{1B}[1Afrom 10.0.0.1") == nil)
        #expect(UserAgentSummary.text(for: "MyBot 1.0") == "MyBot 1.0")
        #expect(UserAgentSummary.text(for: String(repeating: "b", count: 100), limit: 10) == "bbbbbbbbb…")
    }
}
