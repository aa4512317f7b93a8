import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// The agent with a profile whose TPM key has a PIN, asked through `--pin-command`: each test has a
/// swtpm of its own (see ``PrivateTPM``) and the real server.
@Suite("devicecred-agent TPM PIN (command)")
struct PINCommandAgentTests {
    static let pin = "Pin-7391-secret"
    let backend: ServerAPI
    let home: TestHome
    let tpm: PrivateTPM

    init() throws {
        backend = try TestServices.server()
        home = try TestHome()
        tpm = try PrivateTPM()
    }

    private func agent(
        prompt: String = "exit 0", pinCommand: String?, level: String = "debug", environment: [String: String] = [:]
    ) async throws -> RunningProcess {
        var arguments = ["--prompt", "command", "--prompt-command", prompt, "--interval", "0.2", "--log-level", level]
        if let pinCommand { arguments += ["--pin-command", pinCommand] }
        return try await RunningProcess.agent(
            arguments, home: home, environment: tpm.environment.merging(environment) { $1 })
    }

    /// A PIN command that records its prompt and input in the runtime directory, then prints `pins`
    /// in turn (the last one again once they run out).
    private func pinCommand(printing pins: [String]) -> String {
        let run = "\"$XDG_RUNTIME_DIR\""
        let cases = pins.enumerated().map { "\($0.offset + 1)) echo '\($0.element)' ;;" }.joined(separator: " ")
        return "n=$(( $(cat \(run)/asked 2>/dev/null || echo 0) + 1 )); echo $n > \(run)/asked; "
            + "printenv DEVICECRED_PIN_PROMPT >> \(run)/prompts; cat > \(run)/pin-input.json; "
            + "case $n in \(cases) *) echo '\(pins.last ?? "")' ;; esac"
    }

    private func recorded(_ name: String) throws -> String {
        (try? String(contentsOfFile: home.runtime + "/" + name, encoding: .utf8)) ?? ""
    }

    @Test("approving asks the PIN command, which gets the prompt and the challenge; the backend verifies")
    func approves() async throws {
        let device = try await TestDevice.enrollTPM(in: home, backend: backend, tpm: tpm, pin: Self.pin)
        let agent = try await agent(pinCommand: pinCommand(printing: [Self.pin]))
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))
        #expect(try recorded("prompts") == "TPM PIN to approve signIn (profile \(device.profile.name)):\n")
        let json =
            try JSONSerialization.jsonObject(with: Data(recorded("pin-input.json").utf8)) as? [String: Any]
        #expect(json?["challengeId"] as? String == push.challengeID)
    }

    @Test("denying asks for the PIN too (the denial is signed)")
    func denies() async throws {
        let device = try await TestDevice.enrollTPM(in: home, backend: backend, tpm: tpm, pin: Self.pin)
        let agent = try await agent(prompt: "exit 1", pinCommand: pinCommand(printing: [Self.pin]))
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge denied")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: true))
        #expect(try recorded("prompts").hasPrefix("TPM PIN to deny signIn"))
    }

    @Test("a PIN command that exits 1 gives no PIN: nothing is sent, the challenge stays pending")
    func cancelled() async throws {
        let device = try await TestDevice.enrollTPM(in: home, backend: backend, tpm: tpm, pin: Self.pin)
        let agent = try await agent(pinCommand: "exit 1")
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "no PIN given; challenge left unanswered")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: false))
        #expect(!agent.stderr.lines.contains { $0.contains("could not send the answer") })
    }

    @Test("a wrong PIN is asked again, saying so; the right one then approves; no PIN is ever logged")
    func wrongThenRight() async throws {
        let wrong = "Wrong-2846-pin"
        let device = try await TestDevice.enrollTPM(in: home, backend: backend, tpm: tpm, pin: Self.pin)
        let agent = try await agent(pinCommand: pinCommand(printing: [wrong, Self.pin]), level: "trace")
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))
        let prompts = try recorded("prompts").split(separator: "\n")
        #expect(prompts.count == 2)
        #expect(prompts.last?.hasPrefix("Wrong PIN, try again (2 attempts left). TPM PIN to approve") == true)
        #expect(agent.stderr.lines.contains { $0.contains("wrong PIN") && $0.contains("attemptsLeft=2") })

        agent.signal(SIGTERM)
        #expect(try await agent.waitForExit() == 0)
        let log = agent.stderr.lines.joined(separator: "\n")
        #expect(log.contains("PIN prompt shown"))
        #expect(!log.contains(Self.pin))
        #expect(!log.contains(wrong))
    }

    @Test("three wrong PINs: asked three times, then the challenge is left unanswered")
    func threeWrong() async throws {
        // A high limit, so this test is about the agent's count, not the TPM's lockout.
        try await tpm.setMaximumTries(10)
        let device = try await TestDevice.enrollTPM(in: home, backend: backend, tpm: tpm, pin: Self.pin)
        let agent = try await agent(pinCommand: pinCommand(printing: ["0000"]))
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "wrong PIN too many times; challenge left unanswered")
        #expect(try recorded("asked") == "3\n")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: false))
    }

    @Test("a TPM in lockout: the error says so and how it recovers, and the PIN is not asked again")
    func lockout() async throws {
        // A limit of one wrong PIN: the first one puts the TPM in lockout, so the right one is refused.
        try await tpm.setMaximumTries(1)
        let device = try await TestDevice.enrollTPM(in: home, backend: backend, tpm: tpm, pin: Self.pin)
        let agent = try await agent(pinCommand: pinCommand(printing: ["0000", Self.pin]))
        let push = try await backend.pushChallenge(userID: device.userID)
        let line = try await agent.stderr.waitForLine(containing: "the TPM is locked out")
        #expect(line.contains("tpm2_dictionarylockout --clear-lockout"))
        #expect(line.contains("recovery interval"))
        #expect(try recorded("asked") == "2\n")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: false))
        #expect(!agent.stderr.lines.contains { $0.contains("wrong PIN too many times") })
    }

    @Test("no way to ask for a PIN (no pinentry, no --pin-command): an error, and the challenge stays pending")
    func noPINPrompter() async throws {
        let device = try await TestDevice.enrollTPM(in: home, backend: backend, tpm: tpm, pin: Self.pin)
        let agent = try await agent(pinCommand: nil, environment: ["PATH": "/nonexistent"])
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(
            containing: "this profile's TPM key needs a PIN: install pinentry or pass --pin-command")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: false))
    }

    @Test("a TPM key without a PIN never asks for one")
    func keyWithoutPIN() async throws {
        let device = try await TestDevice.enrollTPM(in: home, backend: backend, tpm: tpm, pin: nil)
        let agent = try await agent(pinCommand: pinCommand(printing: [Self.pin]))
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))
        #expect(try recorded("asked").isEmpty)
        #expect(!agent.stderr.lines.contains { $0.contains("PIN prompt shown") })
    }

    @Test("answered elsewhere while the PIN is asked: the PIN command is ended, nothing is sent")
    func withdrawnDuringPIN() async throws {
        let device = try await TestDevice.enrollTPM(in: home, backend: backend, tpm: tpm, pin: Self.pin)
        // Records its pid, then waits for input that never comes.
        let agent = try await agent(pinCommand: "echo $$ > \"$XDG_RUNTIME_DIR/pin-pid\"; exec sleep 600")
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "PIN prompt shown")
        await tpm.answer(push.challengeID, device: device, keys: home.data + "/devicecred/keys", pin: Self.pin)
        try await agent.stderr.waitForLine(containing: "challenge withdrawn")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: true))
        #expect(!agent.stderr.lines.contains { $0.contains("challenge approved") })
        // The prompt's task ends only once the command it ended is reaped: its pid is gone.
        let pid = try #require(Int32(try recorded("pin-pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, 0) != 0)
    }
}
