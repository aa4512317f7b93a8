public import DeviceCredential
public import FoundationEssentials

/// Shows a challenge to the person and returns their answer. The agent shows each challenge once.
///
/// The agent cancels the calling task when the challenge expires or is answered elsewhere; a prompter
/// then takes its prompt away (closes the notification, stops reading the terminal, ends the command)
/// and returns ``PromptDecision/unanswered`` or throws `CancellationError`.
public protocol ChallengePrompter: Sendable {
    /// Asks about `request` and returns what the person decided.
    func prompt(_ request: PromptRequest) async throws -> PromptDecision
}

/// What a prompter shows: the challenge, its context, and whether a code must be typed to approve.
public struct PromptRequest: Sendable {
    /// The pending challenge.
    public var challenge: AppChallenge
    /// The profile it arrived for.
    public var profileName: String
    /// Whether approving needs the number-matching code shown in the browser.
    public var needsVerificationCode: Bool
    /// How long the challenge can still be answered, when the service said.
    public var timeLeft: Duration?

    /// Creates a request.
    public init(challenge: AppChallenge, profileName: String, needsVerificationCode: Bool, timeLeft: Duration?) {
        self.challenge = challenge
        self.profileName = profileName
        self.needsVerificationCode = needsVerificationCode
        self.timeLeft = timeLeft
    }

    /// Builds the request for `challenge`, computing the time left at `now`.
    public init(challenge: AppChallenge, profile: DeviceProfile, now: Date) {
        let left = challenge.expiresAt.map { Self.duration(seconds: $0.timeIntervalSince(now)) }
        self.init(
            challenge: challenge, profileName: profile.name, needsVerificationCode: profile.usesNumberMatching,
            timeLeft: left)
    }

    /// `Duration.seconds(_:)` traps on a value past its range; a network time is cut to a year first.
    static func duration(seconds: Double) -> Duration {
        guard seconds > 0 else { return .zero }
        return .seconds(min(seconds, 365 * 86_400))
    }
}

/// The person's answer.
public enum PromptDecision: Sendable, Equatable {
    /// Approve, with the number-matching code when one was asked for.
    case approve(verificationCode: String?)
    /// Deny.
    case deny
    /// "This wasn't me": deny, and report it (journal, `--report-command`, history).
    case report
    /// No answer: the challenge is left pending (it can still be answered elsewhere).
    case unanswered
}
