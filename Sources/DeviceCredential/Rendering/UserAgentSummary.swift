/// A browser's `User-Agent` as a person reads it: "Chrome 131 on Linux" rather than 120 characters of
/// `Mozilla/5.0 (X11; ...)`. The summary is built only from names this file spells and the digits of a
/// version, so nothing the sender wrote around them (an escape sequence, "from 10.0.0.1 (office VPN)")
/// reaches the screen through it. The whole value stays available (`--full`, `--json`), always rendered
/// through ``DisplayText``.
public enum UserAgentSummary {
    /// "Chrome 131 on Linux", "Firefox 140", or nil when no known browser is named.
    public static func summary(of userAgent: String) -> String? {
        guard let (browser, token) = browsers.first(where: { userAgent.contains($0.token) }) else { return nil }
        let version = majorVersion(after: token, in: userAgent)
        let name = version.map { "\(browser) \($0)" } ?? browser
        guard let system = systems.first(where: { userAgent.contains($0.token) })?.name else { return name }
        return "\(name) on \(system)"
    }

    /// The summary, or else the value itself cut to `limit` characters (still raw: render it for the medium).
    public static func text(for userAgent: String, limit: Int = 80) -> String {
        if let summary = summary(of: userAgent) { return summary }
        guard userAgent.count > limit else { return userAgent }
        return String(userAgent.prefix(max(0, limit - 1))) + "…"
    }

    /// In the order they must be tried: Edge and Opera also say "Chrome/", Chrome also says "Safari/".
    private static let browsers: [(name: String, token: String)] = [
        ("Edge", "Edg/"), ("Edge", "EdgA/"), ("Edge", "EdgiOS/"), ("Opera", "OPR/"),
        ("Samsung Internet", "SamsungBrowser/"), ("Firefox", "Firefox/"), ("Firefox", "FxiOS/"),
        ("Chromium", "Chromium/"), ("Chrome", "CriOS/"), ("Chrome", "Chrome/"), ("Safari", "Version/"),
        ("curl", "curl/"),
    ]

    /// Android also says "Linux", iOS also says "Mac OS X".
    private static let systems: [(name: String, token: String)] = [
        ("Windows", "Windows NT"), ("ChromeOS", "CrOS"), ("Android", "Android"), ("iOS", "iPhone"),
        ("iPadOS", "iPad"), ("macOS", "Mac OS X"), ("macOS", "Macintosh"), ("Linux", "Linux"), ("Linux", "X11"),
    ]

    /// The digits right after `token` ("Chrome/131.0.0.0" -> "131"), at most 6; nil when there are none.
    private static func majorVersion(after token: String, in userAgent: String) -> String? {
        guard let range = userAgent.firstRange(of: token) else { return nil }
        let digits = userAgent[range.upperBound...].prefix { $0.isASCII && $0.isNumber }.prefix(6)
        return digits.isEmpty ? nil : String(digits)
    }
}
