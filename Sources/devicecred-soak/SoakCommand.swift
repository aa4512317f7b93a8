import ArgumentParser
import DeviceCredential
import DeviceCredentialTestSupport
import Foundation

/// `make soak` (10,000 polls) and its short form in `make test` (500): the release or debug
/// devicecred-agent next to this binary polls a devicecred-server of its own through ``FaultProxy``, which
/// flaps between pass-through and faults, while ``ChallengeDriver`` creates challenges and answers some
/// itself. Prints what happened and exits 1 when an invariant failed (see ``SoakReport``).
@main
struct SoakCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devicecred-soak",
        abstract: "Soaks devicecred-agent: polls through a flapping fault proxy while challenges come and go.")

    @Option(help: "Polls to survive (the agent's \"polled\" log lines).")
    var polls = 10_000

    @Option(help: "The agent's --interval, in seconds (its least, 0.05, by default).")
    var interval = 0.05

    @Option(help: "Profiles the agent polls, one user each; the polls are counted over all of them.")
    var profiles = 3

    @Option(help: "Seconds a challenge can be answered (the server's --challenge-ttl).")
    var challengeTTL = 8.0

    @Option(help: "Idle polls whose descriptors and threads are read at the start and at the end (the least counts).")
    var quietPolls = 100

    func validate() throws {
        guard polls >= 100 else { throw ValidationError("--polls must be at least 100") }
        guard interval >= 0.05, interval <= 1 else { throw ValidationError("--interval must be 0.05 to 1") }
        guard (1...10).contains(profiles) else { throw ValidationError("--profiles must be 1 to 10") }
        guard challengeTTL >= 2, challengeTTL <= 300 else { throw ValidationError("--challenge-ttl must be 2 to 300") }
    }

    func run() async throws {
        let startedAt = Date()
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        // The driver's answers take the same claim on this machine as the agent's (one answer per challenge).
        setenv("XDG_RUNTIME_DIR", sandbox.runtime, 1)
        let server = try await PrivateServer(challengeTTL: challengeTTL)
        defer { server.stop() }
        let board = SoakBoard()
        let proxy = try FaultProxy(serverPort: UInt16(server.port), board: board)
        defer { proxy.stop() }
        var drivers: [ChallengeDriver] = []
        var arguments = [
            "--prompt", "command", "--prompt-command", sandbox.promptCommand, "--interval", "\(interval)",
            "--log-level", "debug", "--no-fatigue-guard",
        ]
        for index in 1...profiles {
            let name = Sandbox.profileName(index)
            let enrolled = try await sandbox.enroll(profile: name, backend: server.api, agentURL: proxy.url)
            drivers.append(
                ChallengeDriver(
                    backend: server.api, userID: enrolled.userID, elsewhere: enrolled.elsewhere, board: board,
                    challengeTTL: challengeTTL))
            arguments += ["--profile", name]
        }
        let agent = try AgentUnderSoak(
            binary: try TestBinaries.path("devicecred-agent"), arguments: arguments,
            environment: sandbox.agentEnvironment, board: board)

        // Warm-up: polls and a challenge shown and answered per profile, so the start is not a cold agent's.
        try await expect(board.wait(timeout: .seconds(120)) { $0.polls >= 20 }, "the agent did not poll", board)
        var outcomes: [ChallengeDriver.Outcome] = []
        for driver in drivers { outcomes.append(try await driver.oneChallenge(answerElsewhere: false)) }
        let start = try await quietFigures(board)

        let began = board.update { state -> Int in
            state.soakBegan = state.polls
            return state.polls
        }
        let flapper = Task { await Flapper(proxy: proxy).run() }
        let progress = Task { await Self.reportProgress(board) }
        let challenges = Task {
            try await withThrowingTaskGroup(of: [ChallengeDriver.Outcome].self) { group in
                for driver in drivers { group.addTask { try await driver.run() } }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }
        let enough = await board.wait(timeout: .seconds(max(600, Int64(Double(polls) * interval * 40)))) { state in
            state.polls - began >= polls && FaultMode.faults.allSatisfy(state.injected)
                || state.agentExited
        }
        board.update {
            $0.stopping = true
            $0.soakEnded = $0.polls
        }
        await progress.value
        flapper.cancel()
        await flapper.value
        outcomes += try await challenges.value
        try expect(enough && !board.snapshot.agentExited, "the agent stopped or stalled", board)

        let sanitizer = ProcessInfo.processInfo.environment["DEVICECRED_SANITIZER"]
        let end = try await quietFigures(board, comparedWith: sanitizer == nil ? start : nil)
        let status = await agent.stop(timeout: .seconds(30))
        let report = SoakReport(
            wantedPolls: polls, interval: interval, profiles: profiles, seconds: Date().timeIntervalSince(startedAt),
            board: board.snapshot, outcomes: outcomes, shown: sandbox.shownChallenges(), start: start, end: end,
            exitStatus: status, sanitizer: sanitizer)
        for line in report.lines { print(line) }
        let violations = report.violations
        guard violations.isEmpty else {
            print("soak: FAILED")
            for violation in violations { print("  - " + DisplayText.terminal(violation)) }
            print("  the agent's last lines:")
            for line in board.snapshot.lastLines { print("    " + DisplayText.terminal(line)) }
            throw ExitCode.failure
        }
        print("soak: passed")
    }

    /// Says on standard error how far the soak is, every 1,000 polls, until it stops.
    private static func reportProgress(_ board: SoakBoard) async {
        var next = board.snapshot.soakBegan + 1000
        while true {
            let wanted = next
            _ = await board.wait(timeout: .seconds(3600)) { $0.polls >= wanted || $0.stopping }
            let state = board.snapshot
            if state.stopping { return }
            let done = state.polls - state.soakBegan
            FileHandle.standardError.write(Data("devicecred-soak: \(done) polls so far\n".utf8))
            next = state.soakBegan + (done / 1000 + 1) * 1000
        }
    }

    /// The least counts over `quietPolls` idle polls in pass-through with no challenge, each read right
    /// after the poll (see ``QuietFigures``). With `start`, at the end: while the least still exceeds the
    /// start's, it reads on, up to ten times as many polls, so that only what stays is taken for a leak (on a
    /// loaded machine a request can be in flight at every one of a hundred readings).
    private func quietFigures(_ board: SoakBoard, comparedWith start: QuietFigures? = nil) async throws
        -> QuietFigures
    {
        board.update { $0.quietSamples = [] }
        defer { board.update { $0.quietSamples = nil } }
        var wanted = quietPolls
        while true {
            let enough = wanted
            try expect(
                await board.wait(timeout: .seconds(300)) { ($0.quietSamples?.count ?? 0) >= enough || $0.agentExited },
                "the agent did not poll quietly", board)
            let samples = board.snapshot.quietSamples ?? []
            guard let least = QuietFigures.least(of: samples) else { throw SoakFailure("no quiet poll could be read") }
            guard let start, least.exceeds(start), wanted < quietPolls * 10 else { return least }
            wanted += quietPolls
        }
    }

    private func expect(_ condition: Bool, _ message: String, _ board: SoakBoard) throws {
        guard !condition else { return }
        throw SoakFailure(
            message + "; the agent's last lines:\n"
                + board.snapshot.lastLines.map { "  " + DisplayText.terminal($0) }.joined(separator: "\n"))
    }
}
