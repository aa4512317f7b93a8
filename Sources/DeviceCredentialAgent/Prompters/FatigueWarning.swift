public import DeviceCredential
public import FoundationEssentials

/// The push-fatigue guard's one warning for a cool-down: many challenges refused in a short time,
/// and where they came from. The addresses and browsers came from the server: render them.
public struct FatigueWarning: Sendable, Equatable {
    public var profileName: String
    /// Challenges refused in the window, plus those held since.
    public var attempts: Int
    /// The distinct IP addresses, as the server sent them.
    public var ipAddresses: [String]
    /// The distinct user agents, as the server sent them (``UserAgentSummary`` shortens them).
    public var userAgents: [String]
    /// When challenges are shown one by one again.
    public var coolDownEnds: Date

    public init(profileName: String, attempts: Int, ipAddresses: [String], userAgents: [String], coolDownEnds: Date) {
        self.profileName = profileName
        self.attempts = attempts
        self.ipAddresses = ipAddresses
        self.userAgents = userAgents
        self.coolDownEnds = coolDownEnds
    }
}

/// What the person did with the warning.
public enum FatigueWarningDecision: Sendable, Equatable {
    /// Deny every held challenge still pending; the cool-down goes on.
    case denyAll
    /// End the cool-down: the pending challenge is shown again.
    case showAnyway
    /// Closed or no answer: the challenges stay held until the cool-down ends.
    case dismissed
}

/// A prompter that can show the warning. Prompters without it leave the warning to the log, and the
/// held challenges to the CLI and the D-Bus API.
public protocol FatigueWarningPrompter: Sendable {
    func warn(_ warning: FatigueWarning) async throws -> FatigueWarningDecision
}

/// The words of the warning, the same for every prompter.
public enum FatigueWarningText {
    public static let title = "Many sign-in requests: someone may know your password"

    /// The lines: how many attempts, from where, and what the buttons do.
    public static func details(
        for warning: FatigueWarning, rendering render: (String) -> String = DisplayText.terminal
    ) -> [String] {
        let addresses =
            warning.ipAddresses.isEmpty ? "unknown" : warning.ipAddresses.map(render).joined(separator: ", ")
        let browsers =
            warning.userAgents.isEmpty
            ? "unknown" : warning.userAgents.map { render(UserAgentSummary.text(for: $0)) }.joined(separator: ", ")
        return [
            "\(warning.attempts) sign-in requests were refused or ignored in a short time.",
            "Someone may know your password: change it if you did not try to sign in.",
            "From: \(addresses)",
            "Browsers: \(browsers)",
            "Profile: \(render(warning.profileName))",
            "Until \(expiryClock(warning.coolDownEnds)) new requests are held, not shown one by one"
                + " (devicecred challenge lists them).",
        ]
    }

    static func expiryClock(_ date: Date) -> String {
        ChallengeText.expiryClockTime(date) ?? "the cool-down ends"
    }

    /// The command prompter's stdin document for the warning (`"type": "fatigue-warning"`).
    public static func json(for warning: FatigueWarning) -> [UInt8] {
        struct Document: Encodable {
            var type = "fatigue-warning"
            var profile: String
            var attempts: Int
            var ipAddresses: [String]
            var userAgents: [String]
            var coolDownEnds: Int?
        }
        let document = Document(
            profile: warning.profileName, attempts: warning.attempts, ipAddresses: warning.ipAddresses,
            userAgents: warning.userAgents,
            coolDownEnds: Int(exactly: warning.coolDownEnds.timeIntervalSince1970.rounded(.down)))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(document) else { return Array("{}".utf8) }
        return Array(DisplayText.json(String(decoding: data, as: UTF8.self)).utf8)
    }
}
