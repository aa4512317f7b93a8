/// "This wasn't me": what a reported challenge writes to the journal, the same from the agent and the CLI.
///
/// The entry has a fixed `MESSAGE_ID` (``messageID``), so `journalctl MESSAGE_ID=c34eea09...` or a log
/// collector finds every report; priority 4 (warning); the profile, action, IP address, browser and
/// challenge id as `DEVICECRED_*` fields, exactly as the server sent them (the native protocol keeps a
/// newline inside its field); and a one-line `MESSAGE` with the outside text rendered for a terminal.
/// Never a token or a signature.
public enum ChallengeReport {
    /// The journal's `MESSAGE_ID` of a report, generated once for DeviceCredential.
    public static let messageID = "c34eea090888491887b10966b87341e8"
    /// `PRIORITY=4`: warning.
    public static let priority = "4"

    /// The journal entry reporting `challenge` of `profile`, answered through `channel`; `denied` tells
    /// whether the server took the denial.
    public static func journalEntry(
        for challenge: AppChallenge, profile: String, channel: HistoryChannel, denied: Bool
    ) -> JournalEntry {
        let bounded = { (text: String?) in HistoryEntry.bounded(text ?? "") }
        var entry = JournalEntry()
        entry.append("MESSAGE", message(for: challenge, profile: profile, denied: denied))
        entry.append("MESSAGE_ID", messageID)
        entry.append("PRIORITY", priority)
        entry.append("SYSLOG_IDENTIFIER", "devicecred")
        entry.append("DEVICECRED_PROFILE", bounded(profile))
        entry.append("DEVICECRED_ACTION", bounded(challenge.actionCode))
        entry.append("DEVICECRED_IP_ADDRESS", bounded(challenge.ipAddress))
        entry.append("DEVICECRED_USER_AGENT", bounded(challenge.userAgent))
        entry.append("DEVICECRED_CHALLENGE_ID", bounded(challenge.challengeId))
        entry.append("DEVICECRED_CHANNEL", channel.rawValue)
        return entry
    }

    /// "Sign-in reported as not mine: action signIn from 203.0.113.7 (Chrome 131 on Linux), profile work".
    static func message(for challenge: AppChallenge, profile: String, denied: Bool) -> String {
        let shown = { (text: String?) in DisplayText.terminal(text ?? "unknown", limit: 120) }
        let browser = challenge.userAgent.map { UserAgentSummary.text(for: $0) }
        return "Sign-in reported as not mine: action \(shown(challenge.actionCode)) from \(shown(challenge.ipAddress)) "
            + "(\(shown(browser))), profile \(shown(profile)); "
            + (denied ? "the challenge was denied" : "the denial could not be sent (see the log)")
    }
}
