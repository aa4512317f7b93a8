import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// The real agent binary, the real devicecred-server and a real notification daemon drawing on a private
/// X display (Xvfb), on a private session bus: a person's click is xdotool's (xfce4-notifyd) or dunst's
/// own context menu (dunst). A screenshot of each notification is kept in the test artefacts
/// (`$DEVICECRED_TEST_ARTEFACTS`, else `.build/test-artefacts/`). Skipped only when the daemon is not
/// installed (`make test` installs both).
@Suite("devicecred-agent with real notification daemons under Xvfb")
struct RealNotificationDaemonTests {
    static let xfceDaemon: String? = {
        let candidates = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib")) ?? []).map {
            "/usr/lib/\($0)/xfce4/notifyd/xfce4-notifyd"
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()
    static let dunst = "/usr/bin/dunst"

    let backend: ServerAPI
    let home: TestHome

    init() throws {
        backend = try TestServices.server()
        home = try TestHome()
    }

    /// A display, a bus and a daemon on them.
    struct Desktop {
        var display: PrivateDisplay
        var bus: PrivateSessionBus
        var daemon: ChildProcess
        var environment: [String: String]
    }

    private func desktop(daemon executable: String, arguments: [String] = []) async throws -> Desktop {
        let display = try await PrivateDisplay()
        let bus = try await PrivateSessionBus()
        let daemonHome = home.root + "/daemon-home"
        try FileManager.default.createDirectory(atPath: daemonHome, withIntermediateDirectories: true)
        let environment = ProcessInfo.processInfo.environment.merging(
            display.environment.merging(bus.environment) { $1 }.merging([
                "HOME": daemonHome, "XDG_CONFIG_HOME": daemonHome + "/config", "XDG_CACHE_HOME": daemonHome + "/cache",
                "XDG_DATA_HOME": daemonHome + "/data",
            ]) { $1 }
        ) { $1 }
        let daemon = try ChildProcess(
            executable, arguments, environment: environment,
            standardError: .file(home.root + "/" + URL(fileURLWithPath: executable).lastPathComponent + ".log"))
        let waited = try await ChildProcess.run(
            "/usr/bin/gdbus", ["wait", "--session", "--timeout", "30", "org.freedesktop.Notifications"],
            environment: environment)
        guard waited.status == 0 else {
            daemon.stop()
            throw TestFailure("\(executable) did not take org.freedesktop.Notifications: \(waited.errors)")
        }
        return Desktop(display: display, bus: bus, daemon: daemon, environment: environment)
    }

    private func agent(on desktop: Desktop) async throws -> RunningProcess {
        try await RunningProcess.agent(
            ["--prompt", "notification", "--interval", "0.2", "--log-level", "debug"], home: home,
            environment: desktop.bus.environment.merging(desktop.display.environment) { $1 })
    }

    private func push(for device: TestDevice) async throws -> ServerAPI.Push {
        try await backend.pushChallenge(
            userID: device.userID,
            body: [
                "ipAddress": "203.0.113.9",
                "userAgent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0 <b>&",
            ])
    }

    /// The position and size of the first visible window of `classname`, waiting for it to appear.
    private func window(_ classname: String, on display: PrivateDisplay) async throws -> (
        x: Int, y: Int, width: Int, height: Int
    ) {
        let id =
            try await display.xdotool(["search", "--sync", "--onlyvisible", "--classname", classname])
            .split(separator: "\n").first.map(String.init) ?? ""
        let shell = try await display.xdotool(["getwindowgeometry", "--shell", id])
        var values: [String: Int] = [:]
        for line in shell.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = Int(parts[1]) { values[String(parts[0])] = value }
        }
        guard let x = values["X"], let y = values["Y"], let width = values["WIDTH"], let height = values["HEIGHT"]
        else { throw TestFailure("no geometry for window \(id): \(shell)") }
        return (x, y, width, height)
    }

    private func screenshot(
        _ name: String, of area: (x: Int, y: Int, width: Int, height: Int), on display: PrivateDisplay
    )
        async throws
    {
        let directory = Self.artefacts
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let margin = 8
        let x = max(0, area.x - margin)
        let y = max(0, area.y - margin)
        try await display.screenshot(
            to: directory + "/" + name,
            area: (x, y, min(1024 - x, area.width + 2 * margin), min(768 - y, area.height + 2 * margin)))
    }

    static var artefacts: String {
        if let directory = ProcessInfo.processInfo.environment["DEVICECRED_TEST_ARTEFACTS"], !directory.isEmpty {
            return directory
        }
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return package.appendingPathComponent(".build/test-artefacts").path
    }

    /// Waits until `condition` holds, checking every 50 ms, for at most `timeout`.
    private func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool)
        async throws
    {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw TestFailure("\(what) within \(timeout)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test(
        "xfce4-notifyd: the Approve button, clicked with the mouse, approves; the browser sees it verified",
        .enabled(
            if: RealNotificationDaemonTests.xfceDaemon != nil,
            "xfce4-notifyd is not installed (Debian: apt-get install xfce4-notifyd)"))
    func xfce4Notifyd() async throws {
        let desktop = try await desktop(daemon: try #require(Self.xfceDaemon))
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: desktop)
        let push = try await push(for: device)
        try await agent.stderr.waitForLine(containing: "notification shown")
        let area = try await window("xfce4-notifyd", on: desktop.display)
        try await screenshot("notification-xfce4-notifyd.png", of: area, on: desktop.display)
        // Approve and Deny share the bottom row, right-aligned, about 85 px wide each: Approve is the
        // left one, its centre about 149 px from the window's right edge (xfce4-notifyd 0.7, default theme).
        try await desktop.display.xdotool([
            "mousemove", "\(area.x + area.width - 149)", "\(area.y + area.height - 31)", "click", "1",
        ])
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push).isVerified)
        // The notification is taken away once answered (critical and resident, it would stay).
        try await waitUntil("the notification window did not go away") {
            let found = try await ChildProcess.run(
                "/usr/bin/xdotool", ["search", "--onlyvisible", "--classname", "xfce4-notifyd"],
                environment: desktop.environment)
            return found.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        }
    }

    @Test(
        "dunst: Approve chosen from dunst's context menu (its dmenu setting) approves; dunst closes the notification",
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: RealNotificationDaemonTests.dunst),
            "dunst is not installed"))
    func dunstContextMenu() async throws {
        // Debian's dunstrc, with a dmenu stand-in that chooses Approve as a person would.
        let menu = home.root + "/dunst-menu.txt"
        let picker = Fixtures.directory.appendingPathComponent("dmenu-pick.sh").path
        let defaults = try String(contentsOfFile: "/etc/xdg/dunst/dunstrc", encoding: .utf8)
        let config =
            defaults.split(separator: "\n", omittingEmptySubsequences: false)
            .map {
                $0.trimmingCharacters(in: .whitespaces).hasPrefix("dmenu =")
                    ? "    dmenu = \(picker) Approve \(menu)" : String($0)
            }
            .joined(separator: "\n")
        let configPath = home.root + "/dunstrc"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let desktop = try await desktop(daemon: Self.dunst, arguments: ["-config", configPath])
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: desktop)
        let push = try await push(for: device)
        try await agent.stderr.waitForLine(containing: "notification shown")
        let area = try await window("Dunst", on: desktop.display)
        try await screenshot("notification-dunst.png", of: area, on: desktop.display)
        let dunstctl = { (arguments: [String]) async throws -> String in
            let result = try await ChildProcess.run("/usr/bin/dunstctl", arguments, environment: desktop.environment)
            guard result.status == 0 else { throw TestFailure("dunstctl \(arguments) failed: \(result.errors)") }
            return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try await dunstctl(["count", "displayed"]) == "1")
        _ = try await dunstctl(["context"])
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push).isVerified)
        let offered = try String(contentsOfFile: menu, encoding: .utf8)
        #expect(offered.contains("#Approve (Approve signIn?) ["))
        #expect(offered.contains("#Deny (Approve signIn?) ["))
        // Critical notifications never time out in dunst: the agent's CloseNotification takes it away.
        try await waitUntil("dunst still displays the notification") {
            try await dunstctl(["count", "displayed"]) == "0"
        }
    }

    @Test(
        "dunst: a dismissed notification comes back with devicecred challenge --show, and its Approve still approves",
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: RealNotificationDaemonTests.dunst),
            "dunst is not installed"))
    func dunstDismissedAndShownAgain() async throws {
        // Debian's dunstrc, with a dmenu stand-in that chooses Approve from the context menu.
        let menu = home.root + "/dunst-menu.txt"
        let picker = Fixtures.directory.appendingPathComponent("dmenu-pick.sh").path
        let defaults = try String(contentsOfFile: "/etc/xdg/dunst/dunstrc", encoding: .utf8)
        let config =
            defaults.split(separator: "\n", omittingEmptySubsequences: false)
            .map {
                $0.trimmingCharacters(in: .whitespaces).hasPrefix("dmenu =")
                    ? "    dmenu = \(picker) Approve \(menu)" : String($0)
            }
            .joined(separator: "\n")
        let configPath = home.root + "/dunstrc"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let desktop = try await desktop(daemon: Self.dunst, arguments: ["-config", configPath])
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: desktop)
        let push = try await push(for: device)
        try await agent.stderr.waitForLine(containing: "notification shown")
        let dunstctl = { (arguments: [String]) async throws -> String in
            let result = try await ChildProcess.run("/usr/bin/dunstctl", arguments, environment: desktop.environment)
            guard result.status == 0 else { throw TestFailure("dunstctl \(arguments) failed: \(result.errors)") }
            return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // The person dismisses it, as dunst's close shortcut does.
        _ = try await dunstctl(["close"])
        try await agent.stderr.waitForLine(containing: "challenge left unanswered")
        #expect(try await dunstctl(["count", "displayed"]) == "0")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: false))

        let mark = agent.stderr.lines.count
        let shown = try await ChildProcess.run(
            try TestBinaries.path("devicecred"), ["challenge", "--show", "--profile", device.profile.name],
            environment: home.environment(extra: desktop.bus.environment))
        #expect(shown.status == 0, "\(shown.errors)")
        try await agent.stderr.waitForLine(containing: "notification shown", from: mark)
        #expect(try await dunstctl(["count", "displayed"]) == "1")
        _ = try await dunstctl(["context"])
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))
    }
}
