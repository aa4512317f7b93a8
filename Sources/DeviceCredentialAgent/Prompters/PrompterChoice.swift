import DeviceCredential
public import Logging

/// Which prompter the agent uses (`--prompt`).
public enum PrompterKind: String, Sendable, CaseIterable {
    case notification
    case terminal
    case command
}

/// Picks and builds the prompter for the command-line options.
public enum PrompterChoice {
    /// The prompter for `kind`, or, with no kind given, a notification when the session bus has a
    /// notification server or can start one (D-Bus activation), else the terminal when there is one,
    /// else a notification anyway: challenges then wait until a server starts (an agent started
    /// before the desktop).
    /// - Throws: `invalid_configuration` for `command` without a command; `prompt_failed` when the
    ///   chosen prompter cannot work here (no session bus, no terminal).
    public static func make(kind: PrompterKind?, command: String?, logger: Logger) throws -> any ChallengePrompter {
        switch kind {
        case .command:
            guard let command, !command.isEmpty else {
                throw DeviceCredentialError(
                    code: .invalidConfiguration, message: "--prompt command needs --prompt-command CMD")
            }
            return CommandPrompter(command: command, logger: logger)
        case .terminal:
            guard TerminalPrompter.isAvailable() else {
                throw DeviceCredentialError(
                    code: .promptFailed, message: "--prompt terminal needs a terminal (/dev/tty)")
            }
            return TerminalPrompter()
        case .notification:
            return try NotificationPrompter(logger: logger)
        case nil:
            if let command, !command.isEmpty { return CommandPrompter(command: command, logger: logger) }
            let notifications = try? NotificationPrompter(logger: logger)
            if let notifications, notifications.hasNotificationServer() {
                logger.info("a notification server runs on the session bus; asking with notifications")
                return notifications
            }
            if let notifications, notifications.canStartNotificationServer() {
                logger.info("the session bus starts a notification server on demand; asking with notifications")
                return notifications
            }
            if TerminalPrompter.isAvailable() {
                logger.info("no notification server on the session bus; asking on the terminal")
                return TerminalPrompter()
            }
            guard let notifications else {
                throw DeviceCredentialError(
                    code: .promptFailed, message: "no D-Bus session bus for notifications and no terminal to ask on")
            }
            logger.warning("no notification server on the session bus yet; challenges wait for one")
            return notifications
        }
    }
}
