import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// The agent binary with the command prompter, against the real server.
@Suite("devicecred-agent --prompt command")
struct CommandPrompterAgentTests {
    let backend: ServerAPI
    let home: TestHome

    init() throws {
        backend = try TestServices.server()
        home = try TestHome()
    }

    private func agent(_ command: String, interval: String = "0.2") async throws -> RunningProcess {
        try await RunningProcess.agent(
            ["--prompt", "command", "--prompt-command", command, "--interval", interval, "--log-level", "debug"],
            home: home)
    }

    @Test("exit 0 approves: the browser sees isVerified")
    func approves() async throws {
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent("cat > \"$XDG_RUNTIME_DIR/challenge.json\"; exit 0")
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))

        // The command got the challenge and its context as JSON on stdin.
        let json =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: home.runtime + "/challenge.json"))) as? [String: Any]
        #expect(json?["challengeId"] as? String == push.challengeID)
        #expect(json?["actionCode"] as? String == "signIn")
        #expect(json?["profile"] as? String == device.profile.name)
        #expect((json?["secondsLeft"] as? Int ?? 0) > 0)
        #expect(json?["needsVerificationCode"] as? Bool == false)
    }

    @Test("exit 1 denies: the browser sees the challenge consumed, not verified")
    func denies() async throws {
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent("exit 1")
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge denied")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: true))
    }

    @Test("any other exit leaves the challenge pending, and it is not shown again")
    func leavesUnanswered() async throws {
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent("echo shown >> \"$XDG_RUNTIME_DIR/shown\"; exit 3")
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge left unanswered")
        // Several more polls see the same pending challenge...
        let mark = agent.stderr.lines.count
        for _ in 0..<3 {
            let seen = agent.stderr.lines.count
            try await agent.stderr.waitForLine(containing: "outcome=pending", from: max(seen, mark))
        }
        // ...but the command ran once.
        let shown = try String(contentsOfFile: home.runtime + "/shown", encoding: .utf8)
        #expect(shown == "shown\n")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: false))
    }

    @Test("SIGTERM while waiting exits 0 and logs the stop")
    func stopsOnSigterm() async throws {
        _ = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent("exit 2")
        try await agent.stderr.waitForLine(containing: "polling profile")
        agent.signal(SIGTERM)
        #expect(try await agent.waitForExit() == 0)
        #expect(agent.stderr.lines.contains { $0.contains("agent stopped") })
    }

    @Test("a second agent for the same user is refused with exit code 3 and a clear message")
    func secondAgentRefused() async throws {
        _ = try await TestDevice.enroll(in: home, backend: backend)
        let first = try await agent("exit 2")
        try await first.stderr.waitForLine(containing: "agent started")
        let second = try await agent("exit 2")
        #expect(try await second.waitForExit() == 3)
        let message = second.stderr.lines.joined(separator: "\n")
        #expect(message.contains("another devicecred-agent is already running"))
        #expect(message.contains("pid \(first.pid)"))
        // The first one is unaffected.
        #expect(first.isRunning)
    }

    @Test("logs never contain the token, the key or a signature")
    func logsHoldNoSecrets() async throws {
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await RunningProcess.agent(
            ["--prompt", "command", "--prompt-command", "exit 0", "--interval", "0.2", "--log-level", "trace"],
            home: home)
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge approved")
        agent.signal(SIGTERM)
        _ = try await agent.waitForExit()
        let log = agent.stderr.lines.joined(separator: "\n")
        let key = try #require(try device.keyStore.loadKey(profile: device.profile.name))
        #expect(!log.contains(push.token))
        #expect(!log.contains("PRIVATE KEY"))
        let keyBase64 = key.withUnsafeDERBytes { Data($0).base64EncodedString() }
        #expect(!log.contains(String(keyBase64.dropFirst(40).prefix(40))))
        #expect(!log.contains("X-Authsignal-Signature"))
        #expect(!log.contains("signature="))
    }

    @Test(
        "an expiry that is no plausible time never kills the agent: it still prompts, with the time unknown",
        arguments: ["1e300", "-1e300", String(repeating: "9", count: 400), "1e400", #""NaN""#])
    func extremeExpiry(expiresAt: String) async throws {
        var device = try await TestDevice.enroll(in: home, backend: backend)
        let authenticator = try #require(device.profile.userAuthenticatorID)
        // A server whose nonce step fails (the agent falls back to the plain GET) and whose challenge
        // expires at `expiresAt`.
        let fixture = try HTTPFixture { request in
            request.method == "GET"
                ? .respond(
                    status: 200, headers: ["Content-Type": "application/json"],
                    body: #"{"userAuthenticatorId":""# + authenticator + #"","challengeId":"c-extreme","#
                        + #""actionCode":"signIn","expiresAt":"# + expiresAt + "}")
                : .respond(status: 500, headers: [:], body: "")
        }
        defer { fixture.stop() }
        device.profile.apiURL = fixture.baseURL
        try home.profileStore.save(device.profile)
        let agent = try await agent("cat > \"$XDG_RUNTIME_DIR/challenge.json\"; exit 3")
        try await agent.stderr.waitForLine(containing: "challenge left unanswered")
        let json = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: home.runtime + "/challenge.json"))) as? [String: Any])
        #expect(json["challengeId"] as? String == "c-extreme")
        #expect(json["expiresAt"] == nil && json["secondsLeft"] == nil, "\(json)")
        agent.stop()
    }
}

/// Number matching through the command prompter, against a server configured for it.
@Suite("devicecred-agent number matching")
struct NumberMatchingAgentTests {
    @Test("the code on the command's first stdout line approves")
    func rightCode() async throws {
        let home = try TestHome()
        let server = try await PrivateServer(numberMatchingAction: "signIn")
        let backend = server.api
        let device = try await TestDevice.enroll(in: home, backend: backend, numberMatching: true)
        let push = try await backend.pushChallenge(userID: device.userID)
        let code = try #require(push.verificationCode)
        let agent = try await RunningProcess.agent(
            ["--prompt", "command", "--prompt-command", "echo \(code)", "--interval", "0.2", "--log-level", "debug"],
            home: home)
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))
        server.stop()
    }

    @Test("an approval without a code is never sent")
    func noCode() async throws {
        let home = try TestHome()
        let server = try await PrivateServer(numberMatchingAction: "signIn")
        let backend = server.api
        let device = try await TestDevice.enroll(in: home, backend: backend, numberMatching: true)
        let push = try await backend.pushChallenge(userID: device.userID)
        let agent = try await RunningProcess.agent(
            ["--prompt", "command", "--prompt-command", "exit 0", "--interval", "0.2", "--log-level", "debug"],
            home: home)
        try await agent.stderr.waitForLine(containing: "approval without the number-matching code refused")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: false))
        server.stop()
    }

    @Test("a wrong code fails the challenge (the server compares)")
    func wrongCode() async throws {
        let home = try TestHome()
        let server = try await PrivateServer(numberMatchingAction: "signIn")
        let backend = server.api
        let device = try await TestDevice.enroll(in: home, backend: backend, numberMatching: true)
        let push = try await backend.pushChallenge(userID: device.userID)
        let wrong = push.verificationCode == "00" ? "01" : "00"
        let agent = try await RunningProcess.agent(
            ["--prompt", "command", "--prompt-command", "echo \(wrong)", "--interval", "0.2", "--log-level", "debug"],
            home: home)
        try await agent.stderr.waitForLine(containing: "isVerified=false")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: true))
        server.stop()
    }

}

/// The executable's own exit codes for mistakes a person can make.
@Suite("devicecred-agent exit codes")
struct AgentExitCodeTests {
    @Test(
        "a wrong option value exits 2 with a message naming the option and its values",
        arguments: [
            (["--prompt", "bogus"], ["for '--prompt <prompt>'", "one of 'notification', 'terminal' or 'command'."]),
            (
                ["--pin-prompt", "notification"],
                ["for '--pin-prompt <pin-prompt>'", "'terminal', 'pinentry' or 'command'."]
            ),
            (["--log-level", "loud"], ["'loud' is invalid for '--log-level <log-level>'", "  - critical"]),
        ])
    func usage(arguments: [String], saying: [String]) async throws {
        let home = try TestHome()
        let agent = try await RunningProcess.agent(arguments, home: home)
        #expect(try await agent.waitForExit() == 2)
        for text in saying { try await agent.stderr.waitForLine(containing: text) }
    }

    /// What help and the shell completions list comes from the same document.
    @Test("--prompt, --pin-prompt and --log-level list their values for help and completions")
    func optionValues() async throws {
        let home = try TestHome()
        let agent = try await RunningProcess.agent(["--experimental-dump-help"], home: home)
        #expect(try await agent.waitForExit() == 0)
        // The document's last line is its closing brace, the only one not indented.
        try await agent.stdout.waitForText("\n}\n")
        struct Document: Decodable {
            struct Command: Decodable { var arguments: [Argument] }
            struct Argument: Decodable {
                var valueName: String?
                var allValues: [String]?
                var defaultValue: String?
            }
            var command: Command
        }
        let document = try JSONDecoder().decode(
            Document.self, from: Data(agent.stdout.lines.joined(separator: "\n").utf8))
        let options = Dictionary(
            document.command.arguments.compactMap { argument in
                argument.valueName.map { ($0, argument) }
            }
        ) { first, _ in first }
        #expect(options["prompt"]?.allValues == ["notification", "terminal", "command"])
        #expect(options["pin-prompt"]?.allValues == ["terminal", "pinentry", "command"])
        #expect(
            options["log-level"]?.allValues == ["trace", "debug", "info", "notice", "warning", "error", "critical"])
        #expect(options["log-level"]?.defaultValue == "info")
    }

    @Test("an unknown --profile exits 4 (configuration), naming it")
    func unknownProfile() async throws {
        let home = try TestHome()
        let agent = try await RunningProcess.agent(
            ["--profile", "nope", "--prompt", "command", "--prompt-command", "exit 2"], home: home)
        #expect(try await agent.waitForExit() == 4)
        #expect(agent.stderr.lines.contains { $0.contains("no profile named 'nope'") })
    }
}
