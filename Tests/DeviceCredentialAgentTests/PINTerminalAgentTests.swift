import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// The agent asking for a TPM key's PIN on a real terminal (a tmux pane): its own no-echo prompt, and
/// pinentry-curses drawing on the agent's terminal. Each test has a swtpm of its own.
@Suite("devicecred-agent TPM PIN (terminal, pinentry)")
struct PINTerminalAgentTests {
    typealias Pane = TerminalPrompterAgentTests.Pane
    static let pin = "Pin-5173-secret"
    let backend: ServerAPI
    let home: TestHome
    let tpm: PrivateTPM

    init() throws {
        backend = try TestServices.server()
        home = try TestHome()
        tpm = try PrivateTPM()
    }

    private func pane(_ arguments: [String] = ["--prompt", "terminal"]) async throws -> Pane {
        try await Pane.start(
            home: home, arguments: arguments + ["--interval", "0.2", "--log-level", "debug"],
            environment: tpm.environment)
    }

    /// Enrolls a key with the PIN, starts the agent on a terminal, sends a push and answers the decision
    /// prompt with `decision`; returns once the PIN prompt is on the screen.
    private func answerUpToThePIN(_ decision: String) async throws -> (
        device: TestDevice, pane: Pane, push: ServerAPI.Push
    ) {
        let device = try await TestDevice.enrollTPM(in: home, backend: backend, tpm: tpm, pin: Self.pin)
        let pane = try await pane()
        let push = try await backend.pushChallenge(userID: device.userID)
        try await pane.log.waitForLine(containing: "challenge received")
        try await pane.type(decision, "Enter")
        // Logged once echo is off and the prompt is on the screen.
        try await pane.log.waitForLine(containing: "PIN prompt shown")
        return (device, pane, push)
    }

    @Test("y, then the PIN (not shown while typed), approves; the backend verifies")
    func approve() async throws {
        let (device, pane, push) = try await answerUpToThePIN("y")
        try await pane.type(Self.pin, "Enter")
        try await pane.log.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))
        let screen = try await pane.screen()
        #expect(screen.contains("TPM PIN to approve signIn (profile \(device.profile.name)):"))
        #expect(!screen.contains(Self.pin))
        #expect(!pane.log.lines.joined().contains(Self.pin))
    }

    @Test("a wrong PIN, then the right one: asked again with a notice, then approved")
    func wrongThenRight() async throws {
        let (_, pane, push) = try await answerUpToThePIN("y")
        try await pane.type("0000", "Enter")
        let wrong = try await pane.log.waitForLine(containing: "wrong PIN")
        #expect(wrong.contains("attemptsLeft=2"))
        try await pane.log.waitForLine(containing: "attempt=2")
        try await pane.type(Self.pin, "Enter")
        try await pane.log.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))
        #expect(try await pane.screen().contains("Wrong PIN, try again (2 attempts left)."))
    }

    @Test("n asks for the PIN too, then denies")
    func deny() async throws {
        let (_, pane, push) = try await answerUpToThePIN("n")
        try await pane.type(Self.pin, "Enter")
        try await pane.log.waitForLine(containing: "challenge denied")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: true))
        #expect(try await pane.screen().contains("TPM PIN to deny signIn"))
    }

    @Test("pinentry-curses on the agent's terminal (OPTION ttyname): the PIN typed there approves")
    func pinentryCurses() async throws {
        let device = try await TestDevice.enrollTPM(in: home, backend: backend, tpm: tpm, pin: Self.pin)
        let pane = try await pane([
            "--prompt", "command", "--prompt-command", "exit 0", "--pin-prompt", "pinentry", "--pin-program",
            "pinentry-curses",
        ])
        let output = try await pane.followOutput()
        let push = try await backend.pushChallenge(userID: device.userID)
        try await pane.log.waitForLine(containing: "PIN prompt shown")
        // The dialog's last piece: once it is drawn, pinentry reads the keyboard.
        try await output.stdout.waitForText("<Cancel>")
        try await pane.type(Self.pin, "Enter")
        try await pane.log.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))
        try await output.stdout.waitForText("TPM PIN to approve signIn (profile \(device.profile.name)).")
        #expect(!pane.log.lines.joined().contains(Self.pin))
    }

    @Test("pinentry-curses cancelled (its Cancel button): nothing is sent, the challenge stays pending")
    func pinentryCancelled() async throws {
        let device = try await TestDevice.enrollTPM(in: home, backend: backend, tpm: tpm, pin: Self.pin)
        let pane = try await pane([
            "--prompt", "command", "--prompt-command", "exit 0", "--pin-prompt", "pinentry", "--pin-program",
            "/usr/bin/pinentry-curses",
        ])
        let output = try await pane.followOutput()
        let push = try await backend.pushChallenge(userID: device.userID)
        try await pane.log.waitForLine(containing: "PIN prompt shown")
        try await output.stdout.waitForText("<Cancel>")
        // Tab to OK, Tab to Cancel, press it.
        try await pane.type("Tab", "Tab", "Enter")
        try await pane.log.waitForLine(containing: "no PIN given; challenge left unanswered")
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: false))
    }
}
