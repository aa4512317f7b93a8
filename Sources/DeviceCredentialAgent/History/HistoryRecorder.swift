public import DeviceCredential
public import Logging

/// Writes the agent's outcomes to the history of answers (``ChallengeHistory``). A failure to write is
/// logged and changes nothing else: the history is a record, never a reason to leave a challenge.
public struct HistoryRecorder: Sendable {
    /// Where to write; nil writes nothing (an agent embedded without a history).
    public var history: ChallengeHistory?
    private let logger: Logger

    public init(history: ChallengeHistory?, logger: Logger) {
        self.history = history
        self.logger = logger
    }

    /// Records what became of `challenge`.
    public func record(_ challenge: AppChallenge, profile: String, outcome: HistoryOutcome, channel: HistoryChannel) {
        guard let history else { return }
        do {
            try history.append(HistoryEntry(challenge, profile: profile, outcome: outcome, channel: channel))
            logger.debug("recorded in the history", metadata: ["outcome": "\(outcome)", "channel": "\(channel)"])
        } catch {
            logger.warning(
                "cannot write the history of answers", metadata: ["error": "\(error)", "path": "\(history.path)"])
        }
    }

    /// The hook of the push-fatigue guard: `challenge` was held, not shown one by one.
    public func suppressedByGuard(_ challenge: AppChallenge, profile: String, channel: HistoryChannel) {
        record(challenge, profile: profile, outcome: .suppressedByGuard, channel: channel)
    }

    /// The channel a prompter answers through: its kind, or the notification for any other (e.g. a test's).
    public static func channel(of prompter: any ChallengePrompter) -> HistoryChannel {
        switch prompter {
        case is TerminalPrompter: return .terminal
        case is CommandPrompter: return .command
        // An app's answer through the router is marked on the board (`.dbusApp`); else it was the own prompter.
        case let router as PromptRouter: return channel(of: router.own)
        default: return .notification
        }
    }
}
