public import FoundationEssentials

/// One line of the history: a challenge this device saw and what became of it. Never a token, a key
/// or a signature: only what the prompt showed, the outcome and who gave it.
public struct HistoryEntry: Codable, Sendable, Equatable {
    /// When it happened, to the second.
    public var time: Date
    public var profile: String
    public var challengeId: String
    /// The action code, as the server sent it (outside text: render it before showing it).
    public var action: String?
    /// The sign-in's IP address, as the server sent it (outside text).
    public var ipAddress: String?
    /// The browser's User-Agent, as the server sent it (outside text).
    public var userAgent: String?
    public var outcome: HistoryOutcome
    public var channel: HistoryChannel

    /// Longest kept value of an outside string, in bytes: a line stays a few kilobytes whatever the
    /// server sends, so the size bound of the file means something.
    public static let maximumFieldBytes = 512

    /// Creates an entry; outside strings longer than ``maximumFieldBytes`` are cut (on a character).
    public init(
        time: Date, profile: String, challengeId: String, action: String?, ipAddress: String?, userAgent: String?,
        outcome: HistoryOutcome, channel: HistoryChannel
    ) {
        self.time = Date(timeIntervalSince1970: time.timeIntervalSince1970.rounded(.down))
        self.profile = Self.bounded(profile)
        self.challengeId = Self.bounded(challengeId)
        self.action = action.map(Self.bounded)
        self.ipAddress = ipAddress.map(Self.bounded)
        self.userAgent = userAgent.map(Self.bounded)
        self.outcome = outcome
        self.channel = channel
    }

    /// An entry for `challenge`, with the context the prompt showed.
    public init(
        _ challenge: AppChallenge, profile: String, outcome: HistoryOutcome, channel: HistoryChannel,
        time: Date = Date()
    ) {
        self.init(
            time: time, profile: profile, challengeId: challenge.challengeId, action: challenge.actionCode,
            ipAddress: challenge.ipAddress, userAgent: challenge.userAgent, outcome: outcome, channel: channel)
    }

    static func bounded(_ text: String) -> String {
        guard text.utf8.count > maximumFieldBytes else { return text }
        var cut = ""
        var used = 0
        for character in text {
            used += character.utf8.count
            guard used <= maximumFieldBytes else { break }
            cut.append(character)
        }
        return cut
    }
}

/// What became of a challenge.
public enum HistoryOutcome: String, Codable, Sendable, CaseIterable {
    /// Approved here, and the server verified it.
    case approved
    /// Approval sent, but the server did not verify it (the number-matching code did not match).
    case refused
    /// Denied here.
    case denied
    /// Denied here as "This wasn't me": also written to the journal and given to the report command.
    case reported
    /// Left unanswered here (prompt dismissed, no PIN given, a failure): it stayed pending for another device.
    case dismissed
    /// It expired before anyone answered it.
    case expired
    /// Taken away by the agent for another reason (a newer challenge replaced it, the profile was removed).
    case withdrawn
    /// Answered on another device (or by another program) while its prompt was open here.
    case answeredElsewhere
    /// Not shown one by one: held by the push-fatigue guard.
    case suppressedByGuard
}

/// Through what the challenge was answered, or (for an outcome without an answer: expired, withdrawn,
/// answered elsewhere, held by the guard) through what the agent showed it.
public enum HistoryChannel: String, Codable, Sendable, CaseIterable {
    /// The agent's notification.
    case notification
    /// The agent's terminal prompter.
    case terminal
    /// The agent's `--prompt-command`.
    case command
    /// The `devicecred` command line.
    case cli
    /// An app, through the agent's D-Bus API.
    case dbusApp
}
