import DeviceCredential
import Testing

@Suite("Outside text shown safely")
struct DisplayTextTests {
    @Test(
        "controls, escapes and reordering characters are shown, never interpreted",
        arguments: [
            ("x\u{1B}[1A\u{1B}[2K\rfrom 10.0.0.1", "x\\e[1A\\e[2K\\rfrom 10.0.0.1"),
            ("line\nforged row", "line\\nforged row"),
            ("tab\there", "tab\\there"),
            ("bell\u{07}", "bell\\x07"),
            ("del\u{7F}", "del\\x7F"),
            ("csi\u{9B}2J", "csi\\u{9B}2J"),
            ("nel\u{85}", "nel\\u{85}"),
            ("rtl\u{202E}gpj.exe", "rtl\\u{202E}gpj.exe"),
            ("isolate\u{2066}", "isolate\\u{2066}"),
            ("arabic letter mark\u{061C}", "arabic letter mark\\u{061C}"),
            ("sep\u{2028}", "sep\\u{2028}"),
            ("a\\nb", "a\\\\nb"),
            ("nul\u{0}", "nul\\x00"),
            ("Chrome 131 on Linux — josé 日本", "Chrome 131 on Linux — josé 日本"),
        ])
    func terminal(input: String, shown: String) {
        #expect(DisplayText.terminal(input) == shown)
        #expect(
            !DisplayText.terminal(input).unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
        )
    }

    /// Found by `devicecred-fuzz display-text`: a markup character followed by a combining mark is one
    /// Character that is not the markup character, and went through unescaped.
    @Test("markup escapes a markup character that a combining mark follows")
    func markupWithCombiningMarks() {
        #expect(DisplayText.markup("<\u{31D}b>x") == "&lt;\u{31D}b&gt;x")
        #expect(
            DisplayText.markup("&\u{301}amp; '\u{301} \"\u{301} >\u{301}")
                == "&amp;\u{301}amp; &#39;\u{301} &quot;\u{301} &gt;\u{301}")
    }

    @Test("markup escapes the markup characters after the controls")
    func markup() {
        #expect(
            DisplayText.markup("<b>x</b> & 'y' \"z\"\n") == "&lt;b&gt;x&lt;/b&gt; &amp; &#39;y&#39; &quot;z&quot;\\n")
        #expect(DisplayText.markup("<a href='x'>\u{1B}") == "&lt;a href=&#39;x&#39;&gt;\\e")
    }

    @Test("a long value is cut with a visible ellipsis, after escaping")
    func limit() {
        #expect(DisplayText.terminal(String(repeating: "a", count: 100), limit: 10) == "aaaaaaaaa…")
        #expect(DisplayText.terminal("short", limit: 10) == "short")
        #expect(DisplayText.markup(String(repeating: "<", count: 20), limit: 4) == "&lt;&lt;&lt;…")
    }

    @Test("JSON keeps its meaning and loses the raw C1 controls, separators and overrides")
    func json() {
        let encoded = "{\"a\":\"csi\u{9B}2J nel\u{85} sep\u{2028}\u{2029} rtl\u{202E} del\u{7F} jos\u{E9} \\\\\"}"
        #expect(
            DisplayText.json(encoded)
                == #"{"a":"csi\u009b2J nel\u0085 sep\u2028\u2029 rtl\u202e del\u007f jos\#u{E9} \\"}"#)
        #expect(!DisplayText.json(encoded).unicodeScalars.contains { (0x7F...0x9F).contains($0.value) })
    }

    @Test("a composed message is guarded: rendered parts stay as they are, raw controls are escaped")
    func guarded() {
        let rendered = "the server said " + DisplayText.terminal("x\u{1B}[2J\\n")
        #expect(DisplayText.guarded(rendered) == rendered)
        #expect(DisplayText.guarded("raw\u{1B}[2J\n\u{9B}") == #"raw\e[2J\n\u{9B}"#)
    }
}
