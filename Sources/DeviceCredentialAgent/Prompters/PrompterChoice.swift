import DeviceCredential
public import Logging

/// Which prompter the agent asks about challenges with (`--prompt`).
public enum PrompterKind: String, Sendable, CaseIterable {
    case notification
    case terminal
    case command
}

/// How the agent asks for TPM PINs (`--pin-prompt`).
public enum PINPrompterKind: String, Sendable, CaseIterable {
    case terminal
    case pinentry
    case command
}

/// The agent's prompter options (`--prompt`, `--prompt-command`, `--pin-prompt`, `--pin-command`,
/// `--pin-program`), and the prompters they choose: one for challenges, then one for PINs, which
/// follows the first (a terminal agent asks for the PIN on the terminal too).
public struct PrompterChoice: Sendable {
    /// The default `--pin-program`.
    public static let defaultPINProgram = "pinentry"

    public var prompt: PrompterKind?
    public var promptCommand: String?
    public var pinPrompt: PINPrompterKind?
    public var pinCommand: String?
    public var pinProgram: String

    public init(
        prompt: PrompterKind? = nil, promptCommand: String? = nil, pinPrompt: PINPrompterKind? = nil,
        pinCommand: String? = nil, pinProgram: String = defaultPINProgram
    ) {
        self.prompt = prompt
        self.promptCommand = promptCommand
        self.pinPrompt = pinPrompt
        self.pinCommand = pinCommand
        self.pinProgram = pinProgram
    }

    /// The prompter for `prompt`, or, with none given, the command when there is one, else a
    /// notification when the session bus has a notification server or can start one (D-Bus
    /// activation), else the terminal when there is one, else a notification anyway: challenges then
    /// wait until a server starts (an agent started before the desktop).
    /// - Throws: `invalid_configuration` for `command` without a command; `prompt_failed` when the
    ///   chosen prompter cannot work here (no session bus, no terminal).
    public func makePrompter(logger: Logger) throws -> any ChallengePrompter {
        switch prompt {
        case .command:
            guard let command = Self.given(promptCommand) else {
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
            if let command = Self.given(promptCommand) { return CommandPrompter(command: command, logger: logger) }
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

    /// The PIN prompter for `pinPrompt`; with none given: the command when there is one, the terminal
    /// when `prompter` (which asks about challenges) is the terminal one, else pinentry when
    /// `pinProgram` is found, else none (a challenge for a key with a PIN is then logged as an error
    /// and left unanswered).
    /// - Throws: `invalid_configuration` for `command` without a command or `pinentry` without the
    ///   program; `prompt_failed` for `terminal` without a terminal.
    public func makePINPrompter(
        for prompter: any ChallengePrompter, terminalAvailable: Bool = TerminalPrompter.isAvailable(),
        path: String? = Environment.value("PATH"), logger: Logger
    ) throws -> (any PINPrompter)? {
        switch pinPrompt {
        case .command:
            guard let command = Self.given(pinCommand) else {
                throw DeviceCredentialError(
                    code: .invalidConfiguration, message: "--pin-prompt command needs --pin-command CMD")
            }
            return CommandPINPrompter(command: command, logger: logger)
        case .terminal:
            guard terminalAvailable else {
                throw DeviceCredentialError(
                    code: .promptFailed, message: "--pin-prompt terminal needs a terminal (/dev/tty)")
            }
            return TerminalPINPrompter(logger: logger)
        case .pinentry:
            guard let found = PinentryPrompter.locate(pinProgram, path: path) else {
                throw DeviceCredentialError(
                    code: .invalidConfiguration,
                    message:
                        "--pin-prompt pinentry: no program '\(pinProgram)' (install pinentry, or pass --pin-program)")
            }
            return PinentryPrompter(program: found, logger: logger)
        case nil:
            if let command = Self.given(pinCommand) { return CommandPINPrompter(command: command, logger: logger) }
            if prompter is TerminalPrompter && terminalAvailable { return TerminalPINPrompter(logger: logger) }
            if let found = PinentryPrompter.locate(pinProgram, path: path) {
                return PinentryPrompter(program: found, logger: logger)
            }
            return nil
        }
    }

    /// For logs: `terminal`, `command`, `pinentry /usr/bin/pinentry-gnome3`, or the type's name.
    public static func name(of prompter: any PINPrompter) -> String {
        switch prompter {
        case is TerminalPINPrompter: return PINPrompterKind.terminal.rawValue
        case is CommandPINPrompter: return PINPrompterKind.command.rawValue
        case let pinentry as PinentryPrompter: return "pinentry " + pinentry.program
        default: return "\(type(of: prompter))"
        }
    }

    /// A command option's value, unless missing or empty.
    private static func given(_ command: String?) -> String? {
        guard let command, !command.isEmpty else { return nil }
        return command
    }
}
