public import DeviceCredential
import FoundationEssentials

/// The words and the JSON every prompter shows for a challenge, so they all say the same.
///
/// Every value that came from outside goes through `render`, the medium's function from `DisplayText`
/// (`terminal` for a terminal, a log or pinentry; `markup` for a notification body or a dialog), so a
/// control character or a markup tag is shown, never acted on.
public enum ChallengeText {
    /// A one-line title, e.g. "Approve signIn?".
    public static func title(
        for request: PromptRequest, rendering render: (String) -> String = DisplayText.terminal
    ) -> String {
        "Approve \(request.challenge.actionCode.map { render($0) } ?? "sign-in")?"
    }

    /// How a prompt shows when the challenge expires.
    public enum ExpiryStyle: Sendable {
        /// "Time left: 4 min 05 s", for a prompt drawn once and answered at once (terminal, pinentry).
        case timeLeft
        /// "Expires: 14:05", for a prompt that stays on screen (a notification), where a countdown would freeze.
        case clockTime
    }

    /// The context lines: action, IP address, user agent, expiry, profile.
    public static func details(
        for request: PromptRequest, rendering render: (String) -> String = DisplayText.terminal,
        expiry style: ExpiryStyle = .timeLeft
    ) -> [String] {
        let challenge = request.challenge
        var lines: [String] = []
        lines.append("Action: \(challenge.actionCode.map { render($0) } ?? "unknown")")
        if let user = challenge.userId { lines.append("User: \(render(user))") }
        lines.append("IP address: \(challenge.ipAddress.map { render($0) } ?? "unknown")")
        // The browser in a few words ("Chrome 131 on Linux"); the command prompter's JSON has it whole.
        lines.append("Browser: \(challenge.userAgent.map { render(UserAgentSummary.text(for: $0)) } ?? "unknown")")
        switch style {
        case .timeLeft: lines.append("Time left: \(request.timeLeft.map(timeLeft) ?? "unknown")")
        case .clockTime:
            let clock = request.challenge.expiresAt.flatMap { expiryClockTime($0) }
            lines.append("Expires: \(clock ?? "unknown")")
        }
        lines.append("Profile: \(render(request.profileName))")
        if request.needsVerificationCode { lines.append("Approving needs the code shown in the browser.") }
        return lines
    }

    /// The command that approves from a terminal with the number-matching code, naming the profile
    /// unless it is the default one: "devicecred approve --code CODE --profile work".
    public static func approveCommand(
        for request: PromptRequest, rendering render: (String) -> String = DisplayText.terminal
    ) -> String {
        let profile =
            request.profileName == DeviceProfile.defaultName ? "" : " --profile \(render(request.profileName))"
        return "devicecred approve --code CODE" + profile
    }

    /// For a notification server without buttons: the commands that answer this challenge.
    public static func answerFromTerminal(
        for request: PromptRequest, rendering render: (String) -> String = DisplayText.terminal
    ) -> String {
        let profile =
            request.profileName == DeviceProfile.defaultName ? "" : " --profile \(render(request.profileName))"
        let approve =
            request.needsVerificationCode
            ? approveCommand(for: request, rendering: render) : "devicecred approve" + profile
        return
            "This notification has no buttons here: answer with \(approve) or devicecred deny\(profile) in a terminal."
    }

    /// "1 min 05 s" or "42 s"; negative durations are "0 s".
    public static func timeLeft(_ duration: Duration) -> String {
        let seconds = max(0, Int(clamping: duration.components.seconds))
        return seconds >= 60 ? "\(seconds / 60) min \(seconds % 60 < 10 ? "0" : "")\(seconds % 60) s" : "\(seconds) s"
    }

    /// The JSON document the command prompter writes to the command's standard input: the values exact,
    /// with C1 controls and line separators as `\uXXXX` too (`DisplayText.json`), for a command that logs it.
    public static func json(for request: PromptRequest) -> [UInt8] {
        let document = PromptDocument(request)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(document) else { return Array("{}".utf8) }
        return Array(DisplayText.json(String(decoding: data, as: UTF8.self)).utf8)
    }

    /// The command prompter's stdin document: stable keys for scripts.
    struct PromptDocument: Encodable {
        var challengeId: String
        var profile: String
        var actionCode: String?
        var userId: String?
        var ipAddress: String?
        var userAgent: String?
        var deviceId: String?
        var expiresAt: Int?
        var secondsLeft: Int?
        var needsVerificationCode: Bool

        init(_ request: PromptRequest) {
            let challenge = request.challenge
            challengeId = challenge.challengeId
            profile = request.profileName
            actionCode = challenge.actionCode
            userId = challenge.userId
            ipAddress = challenge.ipAddress
            userAgent = challenge.userAgent
            deviceId = challenge.deviceId
            // Total: a time the library let through is plausible, but no conversion here may trap on one.
            expiresAt = challenge.expiresAt.flatMap { Int(exactly: $0.timeIntervalSince1970.rounded(.down)) }
            secondsLeft = request.timeLeft.map { max(0, Int(clamping: $0.components.seconds)) }
            needsVerificationCode = request.needsVerificationCode
        }
    }
}
