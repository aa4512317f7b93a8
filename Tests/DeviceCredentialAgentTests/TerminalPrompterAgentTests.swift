import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// The agent with `--prompt terminal` on a real terminal: a tmux pane, typed into with send-keys.
@Suite("devicecred-agent --prompt terminal")
struct TerminalPrompterAgentTests {
    let home: TestHome

    init() throws {
        home = try TestHome()
    }

    /// The agent in a detached tmux session of its own; its stderr goes to a file followed by `tail -F`.
    final class Pane: @unchecked Sendable {
        let socket: String
        let follower: RunningProcess
        var log: LineLog { follower.stdout }

        private init(socket: String, follower: RunningProcess) {
            self.socket = socket
            self.follower = follower
        }

        /// Starts the agent with `arguments` in a new pane; `extra` adds to (or replaces) its environment.
        static func start(home: TestHome, arguments: [String], environment extra: [String: String] = [:])
            async throws -> Pane
        {
            let socket = home.root + "/tmux.sock"
            let log = home.root + "/agent.log"
            FileManager.default.createFile(atPath: log, contents: nil)
            let environment = home.environment(extra: extra)
            let names = [
                "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR", "XDG_STATE_HOME", "DEVICECRED_JOURNAL_SOCKET",
                "DBUS_SESSION_BUS_ADDRESS", "HOME",
            ]
            let assignments = (names + extra.keys.filter { !names.contains($0) }.sorted())
                .compactMap { name in environment[name].map { "\(name)=\(quote($0))" } }
            let command =
                "env " + assignments.joined(separator: " ") + " "
                + ([try TestBinaries.path("devicecred-agent")] + arguments).map(quote).joined(separator: " ")
                + " 2>>" + quote(log)
            do {
                try await runCommand(
                    "/usr/bin/tmux", ["-S", socket, "new-session", "-d", "-x", "160", "-y", "50", command],
                    capture: false)
                return Pane(
                    socket: socket,
                    follower: try await RunningProcess("/usr/bin/tail", ["-n", "+1", "-F", log], stopSignal: SIGKILL))
            } catch {
                // No Pane, so no deinit: a tmux that started but did not answer in time would outlive the
                // test, and the agent in it with it (seen after a run on an overloaded machine).
                runBlocking("/usr/bin/tmux", ["-S", socket, "kill-server"])
                throw error
            }
        }

        func type(_ keys: String...) async throws {
            try await runCommand("/usr/bin/tmux", ["-S", socket, "send-keys", "-t", "0"] + keys, capture: false)
        }

        /// Everything the pane shows from now on, as written to the terminal (escape sequences and all),
        /// for waiting until a full-screen program (pinentry-curses) has drawn something.
        func followOutput() async throws -> RunningProcess {
            let path = socket + ".output"
            FileManager.default.createFile(atPath: path, contents: nil)
            try await runCommand(
                "/usr/bin/tmux", ["-S", socket, "pipe-pane", "-t", "0", "-o", "cat >> " + Self.quote(path)],
                capture: false)
            return try await RunningProcess("/usr/bin/tail", ["-c", "+1", "-F", path], stopSignal: SIGKILL)
        }

        func screen() async throws -> String {
            try await runCommand("/usr/bin/tmux", ["-S", socket, "capture-pane", "-p", "-t", "0"], capture: false)
        }

        deinit {
            // Ends the tmux server, which hangs up the pane and the agent in it.
            runBlocking("/usr/bin/tmux", ["-S", socket, "kill-server"])
        }

        static func quote(_ text: String) -> String {
            "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
    }

    private func pane() async throws -> Pane {
        try await Pane.start(
            home: home, arguments: ["--prompt", "terminal", "--interval", "0.2", "--log-level", "debug"])
    }

    @Test("y approves; the terminal shows the challenge's context")
    func approve() async throws {
        let backend = try TestServices.server()
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let pane = try await pane()
        let push = try await backend.pushChallenge(userID: device.userID)
        try await pane.log.waitForLine(containing: "challenge received")
        try await pane.type("y", "Enter")
        try await pane.log.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))
        let screen = try await pane.screen()
        #expect(screen.contains("Approve signIn?"))
        #expect(screen.contains("IP address:"))
        #expect(screen.contains("Time left:"))
        #expect(screen.contains("Approve? [y/n, r = this wasn't me]"))
    }

    @Test("a forged sign-in context is shown escaped: no escape sequence or control byte reaches the terminal")
    func hostileContext() async throws {
        let backend = try TestServices.server()
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let pane = try await pane()
        let output = try await pane.followOutput()
        let push = try await backend.pushChallenge(
            userID: device.userID,
            body: [
                "userAgent": "x\u{1B}[1A\u{1B}[2K\rfrom 10.0.0.1 (office VPN)\nforged\u{9B}2J",
                "ipAddress": "198.51.100.66\u{1B}[2K\r203.0.113.1",
            ])
        let received = try await pane.log.waitForLine(containing: "challenge received")
        // The log (stderr, the journal under systemd) shows the address escaped too.
        #expect(received.contains(#"198.51.100.66\e[2K\r203.0.113.1"#), "\(received)")
        #expect(!pane.log.lines.joined().unicodeScalars.contains { $0.value == 0x1B || $0 == "\r" })
        try await output.stdout.waitForText("Approve? [y/n, r = this wasn't me] ")
        // The terminal turns each newline into CR LF: only that CR is the terminal's own.
        let written = output.stdout.lines.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
            .joined(separator: "\n")
        #expect(written.contains(#"IP address: 198.51.100.66\e[2K\r203.0.113.1"#), "\(written)")
        #expect(written.contains(#"Browser: x\e[1A\e[2K\rfrom 10.0.0.1 (office VPN)\nforged\u{9B}2J"#), "\(written)")
        let acting = written.unicodeScalars.filter {
            ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value)
        }
        #expect(acting.isEmpty, "the agent wrote \(acting.map { String($0.value, radix: 16) }) to the terminal")
        try await pane.type("n", "Enter")
        try await pane.log.waitForLine(containing: "challenge denied")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: true))
    }

    @Test("n denies")
    func deny() async throws {
        let backend = try TestServices.server()
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let pane = try await pane()
        let push = try await backend.pushChallenge(userID: device.userID)
        try await pane.log.waitForLine(containing: "challenge received")
        try await pane.type("n", "Enter")
        try await pane.log.waitForLine(containing: "challenge denied")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: true))
    }

    @Test("r (this wasn't me) denies and reports: the server sees the denial, the journal and the history the report")
    func report() async throws {
        let backend = try TestServices.server()
        let journal = try TestJournal()
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let pane = try await Pane.start(
            home: home, arguments: ["--prompt", "terminal", "--interval", "0.2", "--log-level", "debug"],
            environment: ["DEVICECRED_JOURNAL_SOCKET": journal.path])
        let push = try await backend.pushChallenge(userID: device.userID)
        try await pane.log.waitForLine(containing: "challenge received")
        try await pane.type("r", "Enter")
        try await pane.log.waitForLine(containing: "challenge denied and reported")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: true))
        let entry = try journal.receive()
        #expect(entry["MESSAGE_ID"] == ChallengeReport.messageID)
        #expect(entry["DEVICECRED_CHALLENGE_ID"] == push.challengeID)
        #expect(entry["DEVICECRED_CHANNEL"] == "terminal")
        try await pane.log.waitForLine(containing: "recorded in the history")
        let recorded = try home.history.read().entries
        #expect(recorded.map(\.outcome) == [.reported])
        #expect(recorded.map(\.channel) == [.terminal])
    }

    @Test("number matching: y, then the code shown in the browser, approves")
    func numberMatching() async throws {
        let server = try await PrivateServer(numberMatchingAction: "signIn")
        let backend = server.api
        let device = try await TestDevice.enroll(in: home, backend: backend, numberMatching: true)
        let pane = try await pane()
        let push = try await backend.pushChallenge(userID: device.userID)
        let code = try #require(push.verificationCode)
        try await pane.log.waitForLine(containing: "challenge received")
        try await pane.type("y", "Enter")
        try await pane.type(code, "Enter")
        try await pane.log.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))
        #expect(try await pane.screen().contains("Code shown in the browser:"))
        server.stop()
    }
}
