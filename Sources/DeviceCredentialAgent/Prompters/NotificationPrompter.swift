import DeviceCredential
import FoundationEssentials
public import Logging

/// Asks through a freedesktop notification with Approve, Deny and "This wasn't me" (deny and report)
/// actions, critical urgency.
///
/// The notification is closed once the challenge is answered (here or elsewhere), expires, or the
/// agent stops, so an answered one never lingers. Only the current notification server's signals about
/// notifications it showed us count (see ``NotificationEventRouter``). With no server running, the
/// challenge waits for one (or for D-Bus activation to start one); when the server quits or is
/// replaced while the notification is up, it is shown again on the next one.
///
/// With number matching, Approve opens a `zenity` or `kdialog` entry dialog for the code; without
/// either installed the notification offers Deny only, since it cannot take a code.
public final class NotificationPrompter: ChallengePrompter {
    let bus: NotificationBus
    private let codeEntry: CodeEntryDialog?
    let logger: Logger

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

    /// Whether the session bus starts a notification server on demand (D-Bus activation).
    public func canStartNotificationServer() -> Bool {
        bus.isActivatable()
    }

    public func prompt(_ request: PromptRequest) async throws -> PromptDecision {
        var mayActivate = true
        while true {
            try await waitForServer(mayActivate: mayActivate)
            mayActivate = false
            let shown: UInt32
            do {
                shown = try await show(request)
            } catch _ where !bus.hasNotificationServer() {
                // It went away (or activation failed) before answering: wait for the next one.
                logger.notice("notification server gone before showing the challenge; waiting for one")
                continue
            }
            logger.debug("notification shown", metadata: ["notificationId": "\(shown)"])
            switch await bus.nextEvent(for: shown) {
            case .action("approve"):
                bus.close(id: shown)
                guard request.needsVerificationCode else { return .approve(verificationCode: nil) }
                guard let codeEntry, let code = try await codeEntry.askCode(for: request) else { return .unanswered }
                return .approve(verificationCode: code)
            case .action("deny"):
                bus.close(id: shown)
                return .deny
            case .action(Self.reportAction):
                bus.close(id: shown)
                return .report
            case .withdrawn:
                bus.close(id: shown)
                logger.debug("notification closed", metadata: ["notificationId": "\(shown)"])
                try Task.checkCancellation()
                return .unanswered
            case .serverGone:
                logger.notice("notification server went away; showing the challenge again on the next one")
            case .closed:
                return .unanswered
            case .action:
                bus.close(id: shown)
                return .unanswered
            }
        }
    }

    /// The key of the "This wasn't me" action.
    static let reportAction = "report"

    /// Returns when a server runs, or may be started by the `Notify` call (D-Bus activation, tried once
    /// per challenge); otherwise says so and waits. Throws `CancellationError` when withdrawn first.
    private func waitForServer(mayActivate: Bool) async throws {
        guard !bus.hasNotificationServer() else { return }
        if mayActivate, bus.isActivatable() { return }
        logger.notice("no notification server on the session bus; the challenge waits for one")
        await bus.waitForServer()
        try Task.checkCancellation()
        logger.notice("a notification server started; showing the challenge")
    }

    /// Shows the notification, off the cooperative pool since the call may wait for a server to start;
    /// on an executor of its own, so one challenge waiting for a server holds up no other.
    /// Not cut short by cancellation: the id must come back so that the notification can be closed.
    private func show(_ request: PromptRequest) async throws -> UInt32 {
        try await BlockingWorkExecutor(label: "devicecred.notify").run { try self.notify(request) }
    }

    /// Blocking: asks the server whether it reads markup and shows buttons, and shows the notification.
    private func notify(_ request: PromptRequest) throws -> UInt32 {
        let capabilities = (try? bus.capabilities()) ?? []
        // Body markup only where the server reads it; elsewhere an escaped "&amp;" would show as typed.
        let markup = capabilities.contains("body-markup")
        let render = { (text: String) in markup ? DisplayText.markup(text) : DisplayText.terminal(text) }
        let canApprove = !request.needsVerificationCode || codeEntry != nil
        var body = ChallengeText.details(for: request, rendering: render, expiry: .clockTime)
        if !capabilities.contains("actions") {
            // No buttons on this server: the notification says how to answer instead of offering nothing.
            logger.notice("the notification server shows no buttons; the notification says how to answer")
            body.append(ChallengeText.answerFromTerminal(for: request, rendering: render))
        } else if !canApprove {
            let command = ChallengeText.approveCommand(for: request, rendering: render)
            body.append("Install zenity or kdialog, or use \(command), to approve.")
        }
        var actions = [(key: "deny", label: "Deny")]
        if canApprove { actions.insert((key: "approve", label: "Approve"), at: 0) }
        // First: servers that right-align the buttons keep Approve and Deny where they were.
        actions.insert((key: Self.reportAction, label: "This wasn't me"), at: 0)
        return try bus.notify(
            summary: ChallengeText.title(for: request), body: body.joined(separator: "\n"), actions: actions,
            hints: NotificationHints(
                urgency: 2, category: "device",
                strings: [("x-devicecred-challenge-id", request.challenge.challengeId)]))
    }
}
