public import DeviceCredential
public import Logging
public import ServiceLifecycle

/// The user-session agent: polls every enrolled profile (or the named ones) and shows each new
/// challenge through a prompter. A ServiceLifecycle `Service`: a graceful shutdown (SIGTERM, SIGINT)
/// ends it cleanly, also in the middle of a poll.
public struct DeviceCredentialAgent: Service {
    private let configuration: AgentConfiguration
    private let profileStore: ProfileStore
    private let prompter: any ChallengePrompter
    private let pinPrompter: (any PINPrompter)?
    private let clock: any AgentClock
    private let presence: SessionPresence
    private let board: AgentBoard
    private let transport: any HTTPTransport
    private let history: ChallengeHistory?
    private let journal: JournalSocket?
    private let reportCommand: String?
    private let makeClient: @Sendable (DeviceProfile, any HTTPTransport, Logger) throws -> DeviceCredentialClient
    private let logger: Logger

    /// Creates the agent.
    /// - Parameters:
    ///   - pinPrompter: asks for the PIN of a TPM key that has one, before an answer is signed; without
    ///     one, challenges for such keys are left unanswered (and logged as errors).
    ///   - clock: the poll loop's time; ``ResumeAwareClock`` when logind tells about suspend.
    ///   - presence: whether a person can see a prompt now (``LoginSessionMonitor``); present by default.
    ///   - board: what the D-Bus API (``AgentBusService``) lists and answers.
    ///   - history: where each shown challenge's outcome is written (``ChallengeHistory``); none by default.
    ///   - journal, reportCommand: where "This wasn't me" is reported (``ChallengeReporter``); none by default.
    ///   - makeClient: opens a profile's client; by default with the key store the profile records and
    ///     ``ScopedPIN`` as its PIN provider, so a PIN is used only where the agent scopes one.
    public init(
        configuration: AgentConfiguration,
        profileStore: ProfileStore,
        prompter: any ChallengePrompter,
        pinPrompter: (any PINPrompter)? = nil,
        clock: any AgentClock = SystemAgentClock(),
        presence: SessionPresence = SessionPresence(),
        board: AgentBoard = AgentBoard(),
        transport: any HTTPTransport = CurlTransport(),
        history: ChallengeHistory? = nil,
        journal: JournalSocket? = nil,
        reportCommand: String? = nil,
        logger: Logger,
        makeClient: @escaping @Sendable (DeviceProfile, any HTTPTransport, Logger) throws -> DeviceCredentialClient = {
            try DeviceCredentialClient(profile: $0, transport: $1, logger: $2, pinProvider: ScopedPIN.provider)
        }
    ) {
        self.configuration = configuration
        self.profileStore = profileStore
        self.prompter = prompter
        self.pinPrompter = pinPrompter
        self.clock = clock
        self.presence = presence
        self.board = board
        self.transport = transport
        self.history = history
        self.journal = journal
        self.reportCommand = reportCommand
        self.makeClient = makeClient
        self.logger = logger
    }

    /// Checks that every profile named on the command line exists. Throws `invalid_configuration`.
    public func validateProfiles() throws {
        let known = Set(try profileStore.profiles().map(\.name))
        for name in configuration.profileNames where !known.contains(name) {
            throw DeviceCredentialError(
                code: .invalidConfiguration, message: "no profile named '\(name)'; see devicecred profiles")
        }
    }

    public func run() async throws {
        logger.info(
            "agent started",
            metadata: ["interval": "\(configuration.schedule.interval)", "profiles": "\(configuration.profileNames)"])
        do {
            try await cancelWhenGracefulShutdown { try await pollAll() }
        } catch is CancellationError {
            // A graceful shutdown: not a failure.
        }
        logger.info("agent stopped")
    }

    /// Polls every wanted profile, following the profile list while running: a profile enrolled
    /// meanwhile is polled at once, a removed one is no longer polled, and a changed one (enrolled again,
    /// e.g. after a revocation) restarts its poller.
    private func pollAll() async throws {
        let watcher: ProfileListWatcher
        do {
            watcher = try ProfileListWatcher(profileStore)
        } catch {
            // Without inotify the agent still works: it follows the list on its own timer.
            logger.warning(
                "cannot watch the profile list; re-reading it every interval", metadata: ["error": "\(error)"])
            return try await pollAll(changes: timedChanges())
        }
        defer { watcher.stop() }
        try await pollAll(changes: watcher.changes)
    }

    /// Reconciles the pollers with the profile list now, then after every change notice until cancelled.
    private func pollAll(changes: AsyncStream<Void>) async throws {
        await withDiscardingTaskGroup { group in
            var running: [String: (profile: DeviceProfile, stop: Withdrawal)] = [:]
            var reportedEmpty = false
            var notices = changes.makeAsyncIterator()
            repeat {
                let wanted: [DeviceProfile]
                do {
                    wanted = try wantedProfiles()
                } catch {
                    // A list being written by hand may be broken for a moment: keep polling what runs.
                    logger.error("cannot read the profile list", metadata: ["error": "\(error)"])
                    continue
                }
                let byName = Dictionary(wanted.map { ($0.name, $0) }) { first, _ in first }
                // A changed record (enrolled again: a new authenticator id) restarts its poller; an
                // unchanged one keeps it, also when it ended (revoked), so a revoked profile stays quiet.
                for (name, poller) in running where byName[name] != poller.profile {
                    poller.stop.fire()
                    running[name] = nil
                    board.removeProfile(name)
                }
                for profile in wanted where running[profile.name] == nil {
                    guard let poller = makePoller(profile) else { continue }
                    let stop = Withdrawal()
                    running[profile.name] = (profile, stop)
                    // Stopped by `stop` when the profile goes, by the group's cancellation on shutdown.
                    let logger = self.logger
                    group.addTask {
                        _ = await UntilWithdrawn(withdrawal: stop, deadline: nil).run { await poller.run() }
                        if stop.hasFired {
                            // Logged once the poller is gone: nothing of it comes after this line.
                            logger.info(
                                "profile removed or changed; stopped polling it",
                                metadata: ["profile": "\(profile.name)"])
                        }
                    }
                }
                if running.isEmpty && !reportedEmpty {
                    logger.notice(
                        "no enrolled profile yet; waiting for one", metadata: ["profiles": "\(profileStore.path)"])
                }
                reportedEmpty = running.isEmpty
            } while await notices.next() != nil
            group.cancelAll()
        }
    }

    private func wantedProfiles() throws -> [DeviceProfile] {
        let all = try profileStore.profiles()
        let wanted = configuration.profileNames
        return wanted.isEmpty ? all : all.filter { wanted.contains($0.name) }
    }

    /// The poller for `profile`, or nil (logged) when its client cannot be made.
    private func makePoller(_ profile: DeviceProfile) -> ProfilePoller? {
        var profileLogger = logger
        profileLogger[metadataKey: "profile"] = "\(profile.name)"
        let client: DeviceCredentialClient
        do {
            client = try makeClient(profile, transport, profileLogger)
        } catch {
            profileLogger.error("profile cannot be polled", metadata: ["error": "\(error)"])
            return nil
        }
        profileLogger.info("polling profile", metadata: ["apiURL": "\(profile.apiURL)"])
        return ProfilePoller(
            profile: profile, client: client, prompter: prompter, pinPrompter: pinPrompter, clock: clock,
            presence: presence, board: board, schedule: configuration.schedule,
            fatigue: configuration.fatigueGuard, keepsCredentialAlive: configuration.keepsCredentialsAlive,
            history: HistoryRecorder(history: history, logger: profileLogger),
            reporter: ChallengeReporter(journal: journal, command: reportCommand, logger: profileLogger),
            logger: profileLogger)
    }

    /// Without inotify: a change notice every interval.
    /// Real time, not the poll loop's ``AgentClock``: that clock's waits belong to the pollers (a test
    /// that drives them must not see this timer take one).
    private func timedChanges() -> AsyncStream<Void> {
        let interval = configuration.schedule.interval
        return AsyncStream { (try? await Task.sleep(for: interval, clock: .suspending)).map { _ in () } }
    }
}

extension DeviceCredentialAgent: CustomStringConvertible {
    /// How ServiceLifecycle's logs name the service (not a dump of its settings).
    public var description: String { "DeviceCredentialAgent" }
}
