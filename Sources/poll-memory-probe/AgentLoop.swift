import DeviceCredential
import DeviceCredentialAgent
import FoundationEssentials
import Logging
import Synchronization

/// The agent's polling loop for one profile, as `devicecred-agent` runs it (client, poller, logging
/// at debug level), but with a clock that starts the next poll at once and reports the checkpoints.
enum AgentLoop {
    static func run(profile: DeviceProfile, checkpoints: [Int]) async throws {
        let outcomes = PollOutcomes()
        let clock = CheckpointClock(checkpoints: checkpoints, outcomes: outcomes)
        let agent = DeviceCredentialAgent(
            configuration: AgentConfiguration(profileNames: [profile.name]), profileStore: try .standard(),
            prompter: NoPrompter(), clock: clock,
            logger: Logger(label: "poll-memory-probe", factory: { _ in OutcomeLogHandler(outcomes: outcomes) }))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await agent.run() }
            await clock.finished()
            group.cancelAll()
        }
    }
}

/// Counts the agent's idle polls from its "polled" debug lines; any error it logs ends the probe.
private final class PollOutcomes: Sendable {
    private let idle = Atomic<Int>(0)
    var idlePolls: Int { idle.load(ordering: .relaxed) }
    func recordIdle() { idle.add(1, ordering: .relaxed) }
}

private struct OutcomeLogHandler: LogHandler {
    let outcomes: PollOutcomes
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        if event.message.description == "polled", event.metadata?["outcome"] == "idle" { outcomes.recordIdle() }
        if event.level >= .warning {
            ProbeOutput.fail("the agent logged \(event.level): \(event.message) \(event.metadata ?? [:])")
        }
    }
}

/// Ends every wait at once; after the last checkpoint it holds the loop until the probe cancels it.
private final class CheckpointClock: AgentClock {
    private let checkpoints: [Int]
    private let outcomes: PollOutcomes
    private let polls = Atomic<Int>(0)
    private let done: AsyncStream<Void>
    private let signalDone: AsyncStream<Void>.Continuation

    init(checkpoints: [Int], outcomes: PollOutcomes) {
        self.checkpoints = checkpoints
        self.outcomes = outcomes
        (done, signalDone) = AsyncStream.makeStream(of: Void.self)
    }

    var now: Date { Date() }

    /// Called once after every poll, by the one poller.
    func waitBeforeNextPoll(_ delay: Duration) async throws -> PollWait {
        let count = polls.add(1, ordering: .relaxed).newValue
        if checkpoints.contains(count) {
            ProbeOutput.checkpoint(polls: count, idlePolls: outcomes.idlePolls)
        }
        if count >= checkpoints.last! {
            signalDone.finish()
            try await Task.sleep(for: .seconds(86_400))  // until the probe cancels the agent
        }
        try Task.checkCancellation()
        await Task.yield()
        return .elapsed
    }

    func finished() async {
        for await _ in done {}
    }
}

/// No challenge is pending while the probe runs; one that arrives anyway ends the probe.
private struct NoPrompter: ChallengePrompter {
    func prompt(_ request: PromptRequest) async throws -> PromptDecision {
        ProbeOutput.fail("challenge \(request.challenge.challengeId) arrived: only idle polls are measured")
    }
}
