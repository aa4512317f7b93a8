import DeviceCredential

/// Asks the person for the PIN of a profile's TPM key, after they decided to approve or deny a
/// challenge: both answers are signed, and a key with a PIN signs only with it.
///
/// The agent cancels the calling task when the challenge is answered elsewhere, expires, or the agent
/// stops; a prompter then takes its prompt away and throws `CancellationError` (or returns nil).
public protocol PINPrompter: Sendable {
    /// The PIN typed, or nil when the person cancelled or typed nothing.
    func askPIN(_ request: PINRequest) async throws -> String?
}

/// What a PIN prompt is about: the challenge, the answer the PIN will sign, and whether this is a retry.
public struct PINRequest: Sendable {
    /// The challenge being answered, with its context.
    public var challenge: PromptRequest
    /// True when the PIN signs an approval, false for a denial.
    public var approving: Bool
    /// 1 for the first try, 2 after one wrong PIN, ...
    public var attempt: Int
    /// How many tries there are in all.
    public var maximumAttempts: Int

    /// Creates a request.
    public init(challenge: PromptRequest, approving: Bool, attempt: Int = 1, maximumAttempts: Int = 3) {
        self.challenge = challenge
        self.approving = approving
        self.attempt = attempt
        self.maximumAttempts = maximumAttempts
    }

    /// What the PIN is for, e.g. "TPM PIN to approve signIn (profile work)"; the action code as
    /// `DisplayText.terminal` shows it (this text reaches terminals, pinentry and a command's environment).
    public var prompt: String {
        let action = challenge.challenge.actionCode.map { DisplayText.terminal($0) } ?? "the sign-in"
        return "TPM PIN to \(approving ? "approve" : "deny") \(action) (profile \(challenge.profileName))"
    }

    /// After a wrong PIN, what to tell the person; nil on the first try.
    public var error: String? {
        guard attempt > 1 else { return nil }
        let left = maximumAttempts - attempt + 1
        return "Wrong PIN, try again (\(left) \(left == 1 ? "attempt" : "attempts") left)"
    }

    /// The prompt with the retry notice in front, on one line (for a command's environment).
    public var fullPrompt: String {
        (error.map { $0 + ". " } ?? "") + prompt + ":"
    }
}
