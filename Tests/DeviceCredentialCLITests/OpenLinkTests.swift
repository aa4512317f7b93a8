import DeviceCredentialTestSupport
import Foundation
import Testing

/// `devicecred open URL` with the real binary, the real devicecred-server and a real keyring: the link is
/// shown and enrolls only on a yes (terminal, or a notification's Enroll), and every bad link is refused
/// with nothing enrolled. Each test has its own session bus with its own gnome-keyring and no service
/// activation, so "no notification server" means none.
@Suite("devicecred open: one-click enrollment links")
struct OpenLinkTests {
    let sandbox: CLISandbox
    let user: String

    init() throws {
        sandbox = try CLISandbox()
        user = TestEnvironment.uniqueName("link-user")
    }

    /// RFC 3986 percent-encoding of a value.
    static func encoded(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~")))!
    }

    /// A link for the test server with a fresh token for `user`, and that token.
    func link(profile: String? = nil, extra: String = "") async throws -> (url: String, token: String) {
        let token = try await sandbox.server.track(userID: user).token
        return (linkURL(token: token, profile: profile, extra: extra), token)
    }

    func linkURL(token: String, api: String? = nil, profile: String? = nil, extra: String = "") -> String {
        "devicecred:enroll?api=\(Self.encoded(api ?? sandbox.server.apiURL))&tenant=\(Self.encoded(sandbox.server.tenantID))"
            + "&token=\(token)" + (profile.map { "&profile=\($0)" } ?? "") + extra
    }

    /// A private bus with an unlocked gnome-keyring, in the sandbox's environment.
    func privateBus() async throws -> (PrivateSessionBus, [String: String]) {
        let bus = try await PrivateSessionBus(keyringPassword: "link-test")
        return (bus, sandbox.environment.merging(bus.environment) { $1 })
    }

    /// Nothing enrolled: no profile here, no authenticator for the user on the server.
    func expectNothingEnrolled(
        _ environment: [String: String]? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let profiles = try await sandbox.run(["profiles", "--json"], environment: environment ?? [:])
        #expect(profiles.status == 0, "\(profiles)", sourceLocation: sourceLocation)
        #expect((try profiles.json() as? [Any])?.isEmpty == true, "\(profiles)", sourceLocation: sourceLocation)
        #expect(
            try await sandbox.server.authenticatorIDs(userID: user).isEmpty, "an authenticator was created",
            sourceLocation: sourceLocation)
    }

    // MARK: the terminal

    @Test("on a terminal without a desktop: the link is shown; n enrolls nothing, y enrolls")
    func terminalConfirmation() async throws {
        let (bus, environment) = try await privateBus()
        defer { bus.stop() }
        let profile = TestEnvironment.uniqueName("linked")
        let (url, token) = try await link(profile: profile)

        let declined = try await TerminalSession(["open", url], environment: environment)
        try await declined.waitFor("Enroll this computer? [y/N] ")
        let host = URL(string: sandbox.server.apiURL)!
        for shown in [
            "server       \(host.host!):\(host.port!) (plain http)", "tenant       \(sandbox.server.tenantID)",
            "user         \(user)", "profile      \(profile)", "link         expires in ",
        ] {
            #expect(declined.transcript.contains(shown), "\(shown) in \(declined.transcript)")
        }
        declined.type("n")
        #expect(try await declined.exitStatus() == 13, "\(declined.transcript)")
        #expect(declined.transcript.contains("not confirmed (answered no): nothing was enrolled"))
        #expect(!declined.transcript.contains(token))
        try await expectNothingEnrolled(environment)

        let confirmed = try await TerminalSession(["open", url], environment: environment)
        try await confirmed.waitFor("Enroll this computer? [y/N] ")
        confirmed.type("sure")
        try await confirmed.waitFor("Please type y or n.")
        try await confirmed.waitFor("Enroll this computer? [y/N] ", occurrence: 2)
        confirmed.type("y")
        #expect(try await confirmed.exitStatus() == 0, "\(confirmed.transcript)")
        #expect(confirmed.transcript.contains("enrolled profile '\(profile)' as authenticator"))
        #expect(!confirmed.transcript.contains(token))
        let status = try await sandbox.run(["status", "--profile", profile, "--json"], environment: bus.environment)
        #expect(status.status == 0, "\(status)")
        let saved = try #require(try status.jsonObject()["profile"] as? [String: Any])
        #expect(saved["userId"] as? String == user)
        #expect(saved["keyStore"] as? String == "secret-service")
        #expect(try await sandbox.server.authenticatorIDs(userID: user).count == 1)
    }

    @Test("without a terminal or a notification server nobody can say yes: nothing is enrolled (exit 13)")
    func nobodyToAsk() async throws {
        let (bus, environment) = try await privateBus()
        defer { bus.stop() }
        let (url, token) = try await link()
        let result = try await sandbox.run(["open", url, "--json"], environment: environment)
        #expect(result.status == 13, "\(result)")
        #expect(try result.errorCode() == "confirmation_unavailable")
        #expect(result.stderr.contains("devicecred enroll --token-file"), "\(result)")
        #expect(!result.allOutput.contains(token))
        try await expectNothingEnrolled(environment)
    }

    @Test("there is no --yes: a link never enrolls without a person's answer")
    func noYesOption() async throws {
        let (url, token) = try await link()
        let result = try await sandbox.run(["open", "--yes", url])
        #expect(result.status == 2, "\(result)")
        #expect(!result.allOutput.contains(token))
        try await expectNothingEnrolled()
    }

    // MARK: refusals

    @Test("each kind of bad link is refused with its code and exit status, and nothing is enrolled")
    func badLinksAreRefused() async throws {
        let token = try await sandbox.server.track(userID: user).token
        let expired = try await ForgedToken.make(
            secretKey: sandbox.server.secretKey, tenantID: sandbox.server.tenantID, userID: user,
            issuedAt: Int(Date().timeIntervalSince1970) - 1200, expiresAt: Int(Date().timeIntervalSince1970) - 600)
        let cases: [(String, String, Int32)] = [
            (linkURL(token: token, extra: "&key-store=file"), "unknown_key", 15),
            (linkURL(token: token, extra: "&tenant=\(sandbox.server.tenantID)"), "repeated_key", 15),
            (linkURL(token: token).replacingOccurrences(of: "&token=\(token)", with: ""), "missing_key", 15),
            (linkURL(token: token, extra: "&profile=a%2"), "bad_percent_encoding", 15),
            (linkURL(token: token, api: "http://api.example.com/v1"), "insecure_api_url", 15),
            (linkURL(token: "not.a-jwt.really"), "malformed_token", 15),
            (linkURL(token: expired), "expired_token", 8),
            ("devicecred:remove?" + linkURL(token: token).split(separator: "?")[1], "unknown_action", 15),
        ]
        for (url, code, status) in cases {
            let result = try await sandbox.run(["open", url, "--json"])
            #expect(result.status == status, "\(code): \(result)")
            #expect(try result.errorCode() == code, "\(result)")
            #expect(result.stderr.contains("nothing was enrolled"), "\(result)")
            #expect(!result.allOutput.contains(token) && !result.allOutput.contains(expired))
        }
        try await expectNothingEnrolled()
    }

    @Test("a link naming a profile that exists is refused: a web page does not replace an enrollment")
    func existingProfileIsRefused() async throws {
        let profile = TestEnvironment.uniqueName("taken")
        let enrolled = try await sandbox.enroll(userID: user, profile: profile).result
        try #require(enrolled.status == 0, "\(enrolled)")
        let before = try await sandbox.server.authenticatorIDs(userID: user)
        let (url, _) = try await link(profile: profile)
        let result = try await sandbox.run(["open", url, "--json"])
        #expect(result.status == 15, "\(result)")
        #expect(try result.errorCode() == "profile_exists")
        #expect(result.stderr.contains("devicecred remove --profile \(profile)"), "\(result)")
        #expect(try await sandbox.server.authenticatorIDs(userID: user) == before)
    }

    // MARK: notifications

    /// The fixture notification server's files, shared with the agent's tests.
    static let fixtures = TestEnvironment.packageRoot.appendingPathComponent(
        "Tests/DeviceCredentialAgentTests/Fixtures")

    /// devicecred open, in the background, with its output in files of the sandbox.
    func startOpen(_ url: String, environment: [String: String]) throws -> (ChildProcess, output: String) {
        let output = sandbox.directory.appendingPathComponent(TestEnvironment.uniqueName("open")).path
        let process = try ChildProcess(
            TestEnvironment.devicecred, ["open", url], environment: environment, standardOutput: .file(output),
            standardError: .standardOutput)
        return (process, output)
    }

    /// The Notify calls the fixture server recorded.
    static func shown(in log: String) throws -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["call"] as? String == "Notify" }
    }

    /// Waits until `condition` holds, checking every 50 ms, for at most 30 s.
    static func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw ProcessRunnerError(message: "\(what) within 30 s") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The fixture notification server on the bus (`answering`: its `--answer` and other options), ready,
    /// and the log it writes each notification to.
    private func notificationServer(on environment: [String: String], answering options: [String] = ["none"])
        async throws -> (server: ChildProcess, log: String)
    {
        let log = sandbox.directory.appendingPathComponent("notifications.jsonl").path
        let server = try ChildProcess(
            "/usr/bin/python3",
            [Self.fixtures.appendingPathComponent("notification-server.py").path, "--log", log, "--answer"] + options,
            environment: environment, standardOutput: .pipe, standardError: .file(log + ".stderr"))
        do {
            _ = try await server.waitForLine(containing: "ready")
        } catch {
            server.stop()
            throw error
        }
        return (server, log)
    }

    /// Clicks `key` on notification `id` as the person would, through the fixture server's test method.
    static func click(_ id: Int, _ key: String, environment: [String: String]) async throws {
        try await run(
            "/usr/bin/gdbus",
            [
                "call", "--session", "--dest", "org.freedesktop.Notifications", "--object-path",
                "/org/freedesktop/Notifications", "--method", "org.devicecred.TestNotifications.Click", "uint32 \(id)",
                "'\(key)'",
            ], environment: environment)
    }

    /// Runs a short command on the bus; fails the test when it fails.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]) async throws {
        let result = try await ChildProcess.run(executable, arguments, environment: environment)
        try #require(result.status == 0, "\(executable) \(arguments) failed: \(result.errors)")
    }

    @Test("a forged Enroll from another bus connection enrolls nothing; the server's own Cancel cancels")
    func forgedEnrollIsIgnored() async throws {
        let (bus, environment) = try await privateBus()
        defer { bus.stop() }
        let (server, log) = try await notificationServer(on: environment)
        defer { server.stop() }
        let (url, token) = try await link()
        let (open, output) = try startOpen(url, environment: environment)
        defer { open.stop() }
        try await Self.waitUntil("no notification shown") { try !Self.shown(in: log).isEmpty }
        let notification = try #require(try Self.shown(in: log).first)
        let id = try #require(notification["id"] as? Int)
        #expect(notification["summary"] as? String == "Enroll this computer?")
        #expect(notification["actions"] as? [String] == ["enroll", "Enroll", "cancel", "Cancel"])
        #expect(notification["app"] as? String == "devicecred")
        let body = try #require(notification["body"] as? String)
        for shown in ["tenant: \(sandbox.server.tenantID)", "user: \(user)", "profile: default", "(plain http)"] {
            #expect(body.contains(shown), "\(shown) in \(body)")
        }
        #expect(!body.contains(token))

        // Another process on the bus plays the notification server and clicks Enroll on ids 1...8.
        try await Self.run(
            "/usr/bin/python3",
            [Self.fixtures.appendingPathComponent("spoof-notification-signals.py").path, "--key", "enroll"],
            environment: environment)
        // The bus delivers in order: the forgeries reached devicecred before the server's own click.
        try await Self.click(id, "cancel", environment: environment)
        let status = try await open.waitForExit()
        let printed = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(status == 13, "\(printed)")
        #expect(printed.contains("not confirmed"), "\(printed)")
        try await expectNothingEnrolled(environment)
        // Cancelled by the person: no "not enrolled" notification follows.
        #expect(try Self.shown(in: log).count == 1)
    }

    @Test("the notification server's Enroll enrolls, and a second notification says so")
    func enrollFromTheNotification() async throws {
        let (bus, environment) = try await privateBus()
        defer { bus.stop() }
        let (server, log) = try await notificationServer(on: environment)
        defer { server.stop() }
        let (url, _) = try await link()
        let (open, output) = try startOpen(url, environment: environment)
        defer { open.stop() }
        try await Self.waitUntil("no notification shown") { try !Self.shown(in: log).isEmpty }
        let id = try #require(try Self.shown(in: log).first?["id"] as? Int)
        try await Self.click(id, "enroll", environment: environment)
        let status = try await open.waitForExit()
        let printed = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(status == 0, "\(printed)")
        #expect(try await sandbox.server.authenticatorIDs(userID: user).count == 1)
        let told = try Self.shown(in: log)
        #expect(told.count == 2)
        #expect(told.last?["summary"] as? String == "This computer is enrolled")
        #expect((told.last?["body"] as? String)?.contains(user) == true)
        let profiles = try await sandbox.run(["profiles", "--json"], environment: bus.environment)
        #expect((try profiles.json() as? [[String: Any]])?.first?["userId"] as? String == user, "\(profiles)")
    }

    @Test("with a desktop, a refused link is also said in a notification, since a browser shows no output")
    func refusalIsToldOnTheDesktop() async throws {
        let (bus, environment) = try await privateBus()
        defer { bus.stop() }
        let (server, log) = try await notificationServer(on: environment)
        defer { server.stop() }
        let (url, token) = try await link(extra: "&key-store=file")
        let result = try await sandbox.run(["open", url], environment: environment)
        #expect(result.status == 15, "\(result)")
        let told = try Self.shown(in: log)
        #expect(told.count == 1)
        #expect(told.first?["summary"] as? String == "This computer was not enrolled")
        #expect(told.first?["actions"] as? [String] == [])
        let body = try #require(told.first?["body"] as? String)
        #expect(body.contains("the link has an unknown key 'key-store'"), "\(body)")
        #expect(!body.contains(token))
        try await expectNothingEnrolled(environment)
    }

    @Test("a hostile user name in the token is shown escaped: markup in the notification, escapes on the terminal")
    func hostileTextIsShownEscaped() async throws {
        let (bus, environment) = try await privateBus()
        defer { bus.stop() }
        let hostile = "alice\u{1B}[2J<b>&\u{202E}"
        let now = Int(Date().timeIntervalSince1970)
        let token = try await ForgedToken.make(
            secretKey: sandbox.server.secretKey, tenantID: sandbox.server.tenantID, userID: hostile, issuedAt: now,
            expiresAt: now + 600)
        let url = linkURL(token: token)

        let (server, log) = try await notificationServer(on: environment, answering: ["deny", "--markup"])
        defer { server.stop() }
        // The fixture answers with the key "deny": any key but enroll enrolls nothing.
        let (open, output) = try startOpen(url, environment: environment)
        defer { open.stop() }
        let status = try await open.waitForExit()
        #expect(status == 13, "\((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
        let body = try #require(try Self.shown(in: log).first?["body"] as? String)
        #expect(body.contains("user: alice\\e[2J&lt;b&gt;&amp;\\u{202E}"), "\(body)")
        #expect(!body.contains("\u{1B}") && !body.contains("<b>") && !body.contains("\u{202E}"))
        server.stop()

        let terminal = try await TerminalSession(["open", url], environment: environment)
        try await terminal.waitFor("Enroll this computer? [y/N] ")
        #expect(terminal.transcript.contains("user         alice\\e[2J<b>&\\u{202E}"), "\(terminal.transcript)")
        #expect(!terminal.transcript.contains("\u{1B}[2J") && !terminal.transcript.contains("\u{202E}"))
        terminal.type("n")
        #expect(try await terminal.exitStatus() == 13)
        try await expectNothingEnrolled(environment)
    }

    static let dunst = "/usr/bin/dunst"

    @Test(
        "dunst under Xvfb: Enroll chosen from dunst's context menu enrolls",
        .enabled(if: FileManager.default.isExecutableFile(atPath: OpenLinkTests.dunst), "dunst is not installed"))
    func enrollThroughDunst() async throws {
        let display = try await PrivateDisplay()
        defer { display.stop() }
        let (bus, busEnvironment) = try await privateBus()
        defer { bus.stop() }
        let environment = busEnvironment.merging(display.environment) { $1 }
        // Debian's dunstrc, with a dmenu stand-in that chooses Enroll as a person would.
        let menu = sandbox.directory.appendingPathComponent("dunst-menu.txt").path
        let picker = Self.fixtures.appendingPathComponent("dmenu-pick.sh").path
        let config = try String(contentsOfFile: "/etc/xdg/dunst/dunstrc", encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map {
                $0.trimmingCharacters(in: .whitespaces).hasPrefix("dmenu =")
                    ? "    dmenu = \(picker) Enroll \(menu)" : String($0)
            }
            .joined(separator: "\n")
        let configPath = sandbox.directory.appendingPathComponent("dunstrc").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let daemonHome = sandbox.directory.appendingPathComponent("dunst-home").path
        let daemon = try ChildProcess(
            Self.dunst, ["-config", configPath],
            environment: environment.merging(["HOME": daemonHome, "XDG_CONFIG_HOME": daemonHome + "/config"]) { $1 },
            standardError: .file(sandbox.directory.appendingPathComponent("dunst.log").path))
        defer { daemon.stop() }
        try await Self.run(
            "/usr/bin/gdbus", ["wait", "--session", "--timeout", "30", "org.freedesktop.Notifications"],
            environment: environment)

        let (url, token) = try await link()
        let (open, output) = try startOpen(url, environment: environment)
        defer { open.stop() }
        let dunstctl = { (arguments: [String]) async throws -> String in
            let result = try await ChildProcess.run("/usr/bin/dunstctl", arguments, environment: environment)
            try #require(result.status == 0, "dunstctl \(arguments) failed: \(result.errors)")
            return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        try await Self.waitUntil("dunst shows no notification") { try await dunstctl(["count", "displayed"]) == "1" }
        _ = try await dunstctl(["context"])
        let status = try await open.waitForExit()
        let printed = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(status == 0, "\(printed)")
        #expect(!printed.contains(token))
        #expect(try await sandbox.server.authenticatorIDs(userID: user).count == 1)
        let offered = try String(contentsOfFile: menu, encoding: .utf8)
        #expect(offered.contains("#Enroll (Enroll this computer?) ["), "\(offered)")
        #expect(offered.contains("#Cancel (Enroll this computer?) ["), "\(offered)")
    }
}
