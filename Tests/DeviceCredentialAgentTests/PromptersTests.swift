import DeviceCredential
import DeviceCredentialAgent
import Foundation
import Logging
import Testing

/// The pieces that need no server: schedule, texts, the command prompter, the lock.
@Suite("agent parts")
struct AgentPartsTests {
    let request = PromptRequest(
        challenge: AppChallenge(
            challengeId: "c-1", userAuthenticatorId: "a-1", userId: "alice", actionCode: "signIn",
            userAgent: "Firefox <b>", ipAddress: "192.0.2.7", expiresAt: Date(timeIntervalSince1970: 1_000_065)),
        profile: try! DeviceProfile(name: "work", apiURL: "http://127.0.0.1:1/v1", tenantID: "t"),
        now: Date(timeIntervalSince1970: 1_000_000))

    @Test("back-off doubles from twice the interval to the cap; Retry-After wins when longer; success resets")
    func schedule() {
        var schedule = PollSchedule(interval: .seconds(5), jitter: 0)
        #expect(schedule.afterSuccess() == .seconds(5))
        #expect((1...6).map { _ in schedule.afterFailure() } == [10, 20, 40, 60, 60, 60].map { .seconds($0) })
        #expect(schedule.afterFailure(retryAfter: .seconds(300)) == .seconds(300))
        #expect(schedule.afterFailure(retryAfter: .seconds(1)) == .seconds(60))
        // A Retry-After past the library's one cap (an error made by hand: the client cuts the header's)
        // waits the cap, the hour the library's RetryAfter reads.
        #expect(schedule.afterFailure(retryAfter: .seconds(86400)) == RetryAfter.limit)
        #expect(RetryAfter.limit == .seconds(3600))
        #expect(schedule.afterSuccess() == .seconds(5))
        #expect(schedule.afterFailure() == .seconds(10))
    }

    @Test("jitter stays within ±10% of the interval")
    func jitter() {
        var schedule = PollSchedule(interval: .seconds(5))
        let delays = (0..<200).map { _ in schedule.afterSuccess() }
        #expect(delays.allSatisfy { $0 >= .milliseconds(4500) && $0 <= .milliseconds(5500) })
        #expect(Set(delays.map { $0.components.attoseconds }).count > 1)
    }

    @Test("the text shows action, IP address, user agent, time left and profile")
    func text() {
        #expect(ChallengeText.title(for: request) == "Approve signIn?")
        let details = ChallengeText.details(for: request)
        #expect(details.contains("Action: signIn"))
        #expect(details.contains("IP address: 192.0.2.7"))
        #expect(details.contains("Browser: Firefox <b>"))
        #expect(details.contains("Time left: 1 min 05 s"))
        #expect(details.contains("Profile: work"))
    }

    private func run(_ command: String) async throws -> PromptDecision {
        try await CommandPrompter(command: command, logger: Logger(label: "test")).prompt(request)
    }

    @Test("command prompter: exit 0 approves, 1 denies, other codes and signals leave it unanswered")
    func commandExitCodes() async throws {
        #expect(try await run("exit 0") == .approve(verificationCode: nil))
        #expect(try await run("exit 1") == .deny)
        #expect(try await run("exit 2") == .unanswered)
        #expect(try await run("kill -9 $$") == .unanswered)
    }

    @Test("command prompter: the first stdout line is the code; the challenge JSON arrives on stdin")
    func commandCodeAndInput() async throws {
        #expect(try await run("printf ' 42 \\nmore\\n'") == .approve(verificationCode: "42"))
        let json = try await run("head -c 10000 | tr -d '\\n'; exit 0")
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data((json.code ?? "").utf8)) as? [String: Any])
        #expect(document["challengeId"] as? String == "c-1")
        #expect(document["ipAddress"] as? String == "192.0.2.7")
        #expect(document["userAgent"] as? String == "Firefox <b>")
        #expect(document["secondsLeft"] as? Int == 65)
        #expect(document["profile"] as? String == "work")
    }

    @Test("command prompter: cancelling the prompt ends the command and its children")
    func commandCancelled() async throws {
        let home = try TestHome()
        // The command and its background child hold the fifo open; `cat` ends when both are gone.
        let fifo = home.root + "/held"
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = try await RunningProcess("/bin/cat", [fifo])
        let prompter = CommandPrompter(
            command: "exec 3>'\(fifo)'; sleep 300 & echo started >&3; wait", logger: Logger(label: "test"))
        let request = self.request
        let task = Task { try await prompter.prompt(request) }
        try await reader.stdout.waitForLine(containing: "started")
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(try await reader.waitForExit(timeout: .seconds(10)) == 0)
    }

    @Test("command prompter: a command that ignores SIGTERM is killed, with its children, once withdrawn")
    func commandIgnoringTerminationKilled() async throws {
        let home = try TestHome()
        let fifo = home.root + "/held"
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = try await RunningProcess("/bin/cat", [fifo])
        // Ignored signals stay ignored in children: only SIGKILL ends `sleep`.
        let prompter = CommandPrompter(
            command: "trap '' TERM; exec 3>'\(fifo)'; sleep 300 & echo started >&3; wait",
            logger: Logger(label: "test"))
        let request = self.request
        let task = Task { try await prompter.prompt(request) }
        try await reader.stdout.waitForLine(containing: "started")
        task.cancel()
        // Well under the sleep: the group's SIGKILL follows SIGTERM after ChildProcess.gracePeriod.
        #expect(try await reader.waitForExit(timeout: .seconds(30)) == 0)
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test("one agent per user: a second lock on the same file is refused, naming the holder")
    func lock() throws {
        let home = try TestHome()
        let path = home.runtime + "/devicecred-agent.lock"
        let first = try AgentLock(path: path)
        #expect(throws: DeviceCredentialError(code: .agentAlreadyRunning, message: "")) { try AgentLock(path: path) }
        do {
            _ = try AgentLock(path: path)
        } catch let error as DeviceCredentialError {
            #expect(error.message.contains("pid \(getpid())"))
        }
        withExtendedLifetime(first) {}
    }
}

extension PromptDecision {
    var code: String? {
        if case .approve(let code) = self { return code }
        return nil
    }
}
