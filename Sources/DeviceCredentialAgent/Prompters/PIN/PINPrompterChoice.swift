import DeviceCredential
public import Logging

/// How the agent asks for TPM PINs (`--pin-prompt`).
public enum PINPrompterKind: String, Sendable, CaseIterable {
    case terminal
    case pinentry
    case command
}

/// Picks and builds the PIN prompter for the command-line options.
public enum PINPrompterChoice {
    /// The default `--pin-program`.
    public static let defaultProgram = "pinentry"

    /// The PIN prompter for `kind`; with no kind given: the command when there is one, the terminal
    /// when `prompter` (which asks about challenges) is the terminal one, else pinentry when `program`
    /// is found, else none
    /// (a challenge for a key with a PIN is then logged as an error and left unanswered).
    /// - Throws: `invalid_configuration` for `command` without a command or `pinentry` without the
    ///   program; `prompt_failed` for `terminal` without a terminal.
    public static func make(
        kind: PINPrompterKind?, command: String?, program: String = defaultProgram, prompter: any ChallengePrompter,
        terminalAvailable: Bool = TerminalPrompter.isAvailable(), path: String? = Environment.value("PATH"),
        logger: Logger
    ) throws -> (any PINPrompter)? {
        switch kind {
        case .command:
            guard let command, !command.isEmpty else {
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
            guard let found = PinentryPrompter.locate(program, path: path) else {
                throw DeviceCredentialError(
                    code: .invalidConfiguration,
                    message: "--pin-prompt pinentry: no program '\(program)' (install pinentry, or pass --pin-program)")
            }
            return PinentryPrompter(program: found, logger: logger)
        case nil:
            if let command, !command.isEmpty { return CommandPINPrompter(command: command, logger: logger) }
            if prompter is TerminalPrompter && terminalAvailable { return TerminalPINPrompter(logger: logger) }
            if let found = PinentryPrompter.locate(program, path: path) {
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
}
