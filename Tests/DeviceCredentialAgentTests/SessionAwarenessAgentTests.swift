import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// Prompts only while the session is active and unlocked, resume through logind's PrepareForSleep, and
/// the agent without logind: the real agent binary and devicecred-server, logind played by a stand-in
/// on a private bus (logind itself cannot run here).
@Suite("devicecred-agent follows the login session (logind)")
struct SessionAwarenessAgentTests {
    let backend: ServerAPI
    let home: TestHome

    init() throws {
        backend = try TestServices.server()
        home = try TestHome()
    }

    /// The command prompter records that it ran, then approves.
    private var shownFile: String { home.runtime + "/shown" }

    private func agent(on logind: StandInLogind, interval: String = "0.2") async throws -> RunningProcess {
        try await RunningProcess.agent(
            [
                "--prompt", "command", "--prompt-command", "touch \"$XDG_RUNTIME_DIR/shown\"; exit 0", "--interval",
                interval, "--log-level", "debug",
            ], home: home, environment: logind.environment)
    }

    /// Returns after `count` more polls than the agent has logged so far.
    private func waitForPolls(_ agent: RunningProcess, _ count: Int) async throws {
        for _ in 0..<count {
            try await agent.stderr.waitForLine(containing: "polled", from: agent.stderr.lines.count)
        }
    }

    @Test("a challenge that arrives while the screen is locked waits, and is shown when it is unlocked")
    func waitsForUnlock() async throws {
        let logind = try await StandInLogind()
        try await logind.start(locked: true)
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: logind)
        try await agent.stderr.waitForLine(containing: "following the login session through logind")
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "the challenge waits to be shown")
        // Polling goes on meanwhile; the prompter has not run.
        try await waitForPolls(agent, 2)
        #expect(!FileManager.default.fileExists(atPath: shownFile))
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: false))

        try await logind.setLocked(false)
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(FileManager.default.fileExists(atPath: shownFile))
        #expect(try await backend.poll(push) == .init(isVerified: true, isConsumed: true))
    }

    @Test("a session in the background (another user's session on the seat) waits too, until it is active")
    func waitsWhileInactive() async throws {
        let logind = try await StandInLogind()
        try await logind.start(active: false)
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: logind)
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "the challenge waits to be shown")
        #expect(!FileManager.default.fileExists(atPath: shownFile))
        try await logind.setActive(true)
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push).isVerified)
    }

    @Test("another process forging logind's unlock does not show the challenge; logind's own unlock does")
    func forgedUnlockIgnored() async throws {
        let logind = try await StandInLogind()
        try await logind.start(locked: true)
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: logind)
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "the challenge waits to be shown")

        try await logind.forgeUnlockAndResume()
        // The forgeries sent to the agent's own connection reached its filter and were refused.
        try await agent.stderr.waitForLine(containing: "ignored a session signal not sent by logind")
        try await agent.stderr.waitForLine(containing: "ignored a sleep signal not sent by logind")
        // logind's own signal after them (the bus keeps order): still locked, so still waiting.
        try await logind.setActive(true)
        try await logind.setLocked(true)
        #expect(!FileManager.default.fileExists(atPath: shownFile))
        #expect(!agent.stderr.lines.contains { $0.contains("prompts are shown") })
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: false))

        try await logind.setLocked(false)
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push).isVerified)
    }

    @Test("on resume from suspend (PrepareForSleep false) the agent polls at once, not after its interval")
    func resumePollsAtOnce() async throws {
        let logind = try await StandInLogind()
        try await logind.start()
        let device = try await TestDevice.enroll(in: home, backend: backend)
        // An hour between polls: only the resume can bring the challenge in during the test.
        let agent = try await agent(on: logind, interval: "3600")
        try await agent.stderr.waitForLine(containing: "polled")
        let push = try await backend.pushChallenge(userID: device.userID)
        try await logind.sleepAndResume()
        try await agent.stderr.waitForLine(containing: "resumed from suspend; polling now")
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push).isVerified)
    }

    @Test("a challenge that waited behind the lock and was answered elsewhere meanwhile is never shown")
    func answeredElsewhereWhileLocked() async throws {
        let logind = try await StandInLogind()
        try await logind.start(locked: true)
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: logind)
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "the challenge waits to be shown")
        // Answered from another device of the user: no longer pending.
        try await device.client().updateChallenge(challengeId: push.challengeID, approved: false)
        try await agent.stderr.waitForLine(containing: "challenge withdrawn")
        try await logind.setLocked(false)
        try await agent.stderr.waitForLine(containing: "prompts are shown")
        try await waitForPolls(agent, 2)
        #expect(!FileManager.default.fileExists(atPath: shownFile))
    }

    @Test("without logind on the system bus the agent says so once and prompts as before")
    func withoutLogind() async throws {
        let logind = try await StandInLogind()  // a bus, nobody owning org.freedesktop.login1
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: logind)
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push).isVerified)
        #expect(agent.stderr.lines.filter { $0.contains("no logind session to follow") }.count == 1)
    }

    @Test("a user with no graphical session (logind's Display is empty): prompts as before")
    func noGraphicalSession() async throws {
        let logind = try await StandInLogind()
        try await logind.start(display: false)
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await agent(on: logind)
        let push = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push).isVerified)
        #expect(agent.stderr.lines.contains { $0.contains("no graphical session") })
    }
}
