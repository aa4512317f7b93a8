import DeviceCredential
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Asks through a freedesktop notification with Approve and Deny actions, critical urgency. The
/// notification is closed when the challenge expires or is answered elsewhere.
///
/// With number matching, Approve opens a `zenity` or `kdialog` entry dialog for the code; without
/// either installed the notification offers Deny only, since it cannot take a code.
public final class NotificationPrompter: ChallengePrompter {
    private let bus: NotificationBus
    private let codeEntry: CodeEntryDialog?
    private let logger: Logger

    /// Connects to the session bus. Throws `prompt_failed` when there is none.
    public init(logger: Logger, codeEntry: CodeEntryDialog? = CodeEntryDialog.installed()) throws {
        self.bus = try NotificationBus()
        self.codeEntry = codeEntry
        self.logger = logger
    }

    /// Whether a notification server runs on the session bus now.
    public func hasNotificationServer() -> Bool {
        bus.hasNotificationServer()
    }

    public func prompt(_ request: PromptRequest) async throws -> PromptDecision {
        let canApprove = !request.needsVerificationCode || codeEntry != nil
        var body = ChallengeText.details(for: request, rendering: DisplayText.markup)
        if !canApprove {
            let command = ChallengeText.approveCommand(for: request, rendering: DisplayText.markup)
            body.append("Install zenity or kdialog, or use \(command), to approve.")
        }
        var actions = [(key: "deny", label: "Deny")]
        if canApprove { actions.insert((key: "approve", label: "Approve"), at: 0) }
        let id = try bus.notify(
            summary: ChallengeText.title(for: request), body: body.joined(separator: "\n"), actions: actions,
            hints: NotificationHints(
                urgency: 2, category: "device",
                strings: [("x-devicecred-challenge-id", request.challenge.challengeId)]))
        logger.debug("notification shown", metadata: ["notificationId": "\(id)"])
        let event = await bus.nextEvent(for: id)
        switch event {
        case .action("approve"):
            guard request.needsVerificationCode else { return .approve(verificationCode: nil) }
            guard let codeEntry, let code = try await codeEntry.askCode(for: request) else { return .unanswered }
            return .approve(verificationCode: code)
        case .action("deny"):
            return .deny
        case .withdrawn:
            bus.close(id: id)
            logger.debug("notification closed", metadata: ["notificationId": "\(id)"])
            try Task.checkCancellation()
            return .unanswered
        default:
            return .unanswered
        }
    }
}

/// A small dialog that asks for the number-matching code: `zenity --entry` or `kdialog --inputbox`.
public struct CodeEntryDialog: Sendable {
    /// The dialog program's path.
    public var executable: String
    /// Its arguments before the prompt text.
    public var arguments: [String]

    /// Creates a dialog runner.
    public init(executable: String, arguments: [String]) {
        self.executable = executable
        self.arguments = arguments
    }

    /// The first of zenity and kdialog found on `PATH`, or nil.
    public static func installed(path: String? = Environment.value("PATH")) -> CodeEntryDialog? {
        let directories = (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
        for directory in directories {
            if access(directory + "/zenity", X_OK) == 0 {
                return CodeEntryDialog(
                    executable: directory + "/zenity", arguments: ["--entry", "--title=devicecred", "--text"])
            }
            if access(directory + "/kdialog", X_OK) == 0 {
                return CodeEntryDialog(
                    executable: directory + "/kdialog", arguments: ["--title", "devicecred", "--inputbox"])
            }
        }
        return nil
    }

    /// Asks for the code; nil when the person cancelled or typed nothing.
    func askCode(for request: PromptRequest) async throws -> String? {
        let text = "Type the code shown in the browser to approve \(request.challenge.actionCode ?? "the sign-in")"
        let result = try await ChildProcess(executable: executable, arguments: arguments + [text]).run()
        guard result.exitStatus == 0 else { return nil }
        return CommandPrompter.firstLine(of: result.output)
    }
}
