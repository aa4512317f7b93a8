import ArgumentParser
import DeviceCredential
import DeviceCredentialAgent
import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Exit codes, documented in Docs/agent.md.
enum AgentExit {
    static let failure: Int32 = 1
    static let usage: Int32 = 2
    static let alreadyRunning: Int32 = 3
    static let configuration: Int32 = 4
}

@main
struct DevicecredAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devicecred-agent",
        abstract: "Shows push sign-in challenges for this machine's DeviceCredential profiles and sends your answer.",
        discussion: """
            Polls every enrolled profile (or those named) and asks about each new challenge once. \
            When a profile's TPM key has a PIN, approving and denying both ask for it (both are signed): \
            on the terminal, with a pinentry program, or with --pin-command. \
            Exit codes: 0 stopped by SIGTERM/SIGINT, 1 failure, 2 usage, 3 another agent is already \
            running for this user, 4 configuration (unknown profile, prompter unusable here).
            """,
        version: DeviceCredentialVersion.string)  // the library's, as devicecred --version says

    @Option(name: .customLong("profile"), help: "A profile to poll (repeatable; default: every enrolled profile).")
    var profiles: [String] = []

    @Option(help: "Seconds between polls (jittered by ±10%).")
    var interval: Double = 5

    @Option(help: "How to ask (default: notification when available, else terminal).")
    var prompt: PrompterKind?

    @Option(
        name: .customLong("prompt-command"),
        help: "Shell command for --prompt command; gets the challenge as JSON on stdin.")
    var promptCommand: String?

    @Option(
        name: .customLong("pin-prompt"),
        help: """
            How to ask for a TPM key's PIN (default: command with --pin-command, else terminal with the \
            terminal prompter, else pinentry when installed).
            """)
    var pinPrompt: PINPrompterKind?

    @Option(
        name: .customLong("pin-command"),
        help: """
            Shell command that prints the PIN (exit 0, first line); gets the challenge as JSON on stdin \
            and the prompt in $DEVICECRED_PIN_PROMPT, e.g. 'ssh-askpass "$DEVICECRED_PIN_PROMPT"'.
            """)
    var pinCommand: String?

    @Option(
        name: .customLong("pin-program"),
        help:
            "The pinentry program for --pin-prompt pinentry: a name on PATH or a path (pinentry-gnome3, pinentry-curses)."
    )
    var pinProgram: String = PrompterChoice.defaultPINProgram

    @Option(
        name: .customLong("fatigue-limit"),
        help: "Push-fatigue guard: more refused (denied, dismissed, expired) challenges than this trip it.")
    var fatigueLimit: Int = 3

    @Option(
        name: .customLong("fatigue-window"),
        help: "Push-fatigue guard: the minutes in which refused challenges count (up to 1440).")
    var fatigueWindow = Minutes(10)

    @Option(
        name: .customLong("fatigue-cooldown"),
        help:
            "Push-fatigue guard: the minutes new challenges are held (not shown one by one) once it trips (up to 1440)."
    )
    var fatigueCoolDown = Minutes(15)

    @Flag(
        name: .customLong("no-fatigue-guard"),
        help: "Show every challenge, however many were refused (no push-fatigue guard).")
    var noFatigueGuard = false
    @Option(help: "Shell command run on \"This wasn't me\"; gets the challenge as JSON on stdin.")
    var reportCommand: String?

    @Option(name: .customLong("log-level"), help: "How much to log.")
    var logLevel = LogLevelArgument(.info)

    /// Parses and runs; usage errors exit with 2 (as the devicecred CLI), not ArgumentParser's 64.
    static func main() async {
        MallocArenas.limitToOne()
        do {
            var command = try parseAsRoot()
            if let agent = command as? DevicecredAgentCommand {
                try await agent.run()
            } else {
                try command.run()  // --help and friends
            }
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if !message.isEmpty {
                var text = Array((message + "\n").utf8)
                _ = write(code == .success ? 1 : 2, &text, text.count)
            }
            Glibc.exit(code == .validationFailure ? AgentExit.usage : code.rawValue)
        }
    }

    func validate() throws {
        guard interval >= 0.05, interval <= 3600 else {
            throw ValidationError("--interval must be between 0.05 and 3600 seconds")
        }
        if prompt == .command, (promptCommand ?? "").isEmpty {
            throw ValidationError("--prompt command needs --prompt-command CMD")
        }
        if pinPrompt == .command, (pinCommand ?? "").isEmpty {
            throw ValidationError("--pin-prompt command needs --pin-command CMD")
        }
        guard (1...100).contains(fatigueLimit) else {
            throw ValidationError("--fatigue-limit must be between 1 and 100")
        }
        guard !pinProgram.isEmpty else {
            throw ValidationError("--pin-program must name a program")
        }
        for name in profiles {
            do { try DeviceProfile.validate(name: name) } catch { throw ValidationError("--profile \(name): \(error)") }
        }
    }

    func run() async throws {
        let level = logLevel.level
        LoggingSystem.bootstrap { label in
            var handler = DisplayTextLogHandler(wrapping: StreamLogHandler.standardError(label: label))
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "devicecred-agent")
        signal(SIGPIPE, SIG_IGN)

        let lock: AgentLock
        do {
            lock = try AgentLock()
        } catch let error as DeviceCredentialError where error.code == .agentAlreadyRunning {
            Self.fail(error.message, code: AgentExit.alreadyRunning)
        }
        defer { withExtendedLifetime(lock) {} }

        do {
            let choice = PrompterChoice(
                prompt: prompt, promptCommand: promptCommand, pinPrompt: pinPrompt, pinCommand: pinCommand,
                pinProgram: pinProgram)
            let prompter = try choice.makePrompter(logger: logger)
            let pinPrompter = try choice.makePINPrompter(for: prompter, logger: logger)
            logger.debug(
                "PIN prompter chosen", metadata: ["pinPrompter": "\(pinPrompter.map(PrompterChoice.name) ?? "none")"])
            let session = Self.followLoginSession(logger: logger)
            defer { withExtendedLifetime(session) {} }  // its connection carries logind's signals
            let board = AgentBoard()
            let api = Self.offerBusAPI(board: board, logger: logger)
            defer { withExtendedLifetime(api) {} }
            let agent = DeviceCredentialAgent(
                configuration: AgentConfiguration(
                    profileNames: profiles, schedule: PollSchedule(interval: .milliseconds(Int(interval * 1000))),
                    fatigueGuard: FatigueGuardSettings(
                        limit: fatigueLimit, window: fatigueWindow.seconds, coolDown: fatigueCoolDown.seconds,
                        isEnabled: !noFatigueGuard)),
                // With the API, an app registered as prompter is asked instead, and ShowChallenge asks again.
                profileStore: try ProfileStore.standard(), prompter: api?.prompter(routing: prompter) ?? prompter,
                pinPrompter: pinPrompter,
                clock: session.map { ResumeAwareClock(resumes: $0.resumes) } ?? SystemAgentClock(),
                presence: session?.presence ?? SessionPresence(), board: board, history: Self.history(logger: logger),
                journal: JournalSocket.standard(), reportCommand: reportCommand, logger: logger)
            try agent.validateProfiles()
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(
                    services: [.init(service: agent)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        } catch let error as DeviceCredentialError
            where [.invalidConfiguration, .promptFailed].contains(error.code)
        {
            Self.fail(error.message, code: AgentExit.configuration)
        } catch {
            Self.fail("\(error)", code: AgentExit.failure)
        }
    }

    /// The D-Bus API on the session bus, or nil (said once) when it cannot be offered; the agent works without.
    private static func offerBusAPI(board: AgentBoard, logger: Logger) -> AgentBusService? {
        do {
            let service = try AgentBusService(board: board, logger: logger)
            logger.info("D-Bus API offered", metadata: ["name": "io.github.DeviceCredential.Agent"])
            return service
        } catch {
            logger.notice("no D-Bus API: apps cannot reach this agent", metadata: ["reason": "\(error)"])
            return nil
        }
    }

    /// The history of answers in $XDG_STATE_HOME/devicecred, or nil (said once) without a home to keep it in.
    private static func history(logger: Logger) -> ChallengeHistory? {
        do {
            return try ChallengeHistory.standard()
        } catch {
            logger.warning("no history of answers", metadata: ["reason": "\(error)"])
            return nil
        }
    }

    /// logind's view of this session, or nil (said once) when there is none: then prompts are shown
    /// whatever the session's state, and a resume from suspend is noticed by comparing clocks.
    private static func followLoginSession(logger: Logger) -> LoginSessionMonitor? {
        do {
            let monitor = try LoginSessionMonitor(logger: logger)
            let state = monitor.presence.state
            logger.info(
                "following the login session through logind",
                metadata: [
                    "session": "\(monitor.sessionPath)", "active": "\(state.active)", "locked": "\(state.locked)",
                ])
            return monitor
        } catch {
            logger.notice(
                "no logind session to follow; prompts do not wait for an unlocked screen",
                metadata: ["reason": "\(error)"])
            return nil
        }
    }

    private static func fail(_ message: String, code: Int32) -> Never {
        var text = Array("devicecred-agent: \(DisplayText.terminal(message))\n".utf8)
        _ = write(2, &text, text.count)
        Glibc.exit(code)
    }
}
