import DeviceCredential
import Logging
import ServiceLifecycle

/// The user-session agent: polls every enrolled profile (or the named ones) and shows each new
/// challenge through a prompter. A ServiceLifecycle `Service`: a graceful shutdown (SIGTERM, SIGINT)
/// ends it cleanly, also in the middle of a poll.
public struct DeviceCredentialAgent: Service {
    private let configuration: AgentConfiguration
    private let profileStore: ProfileStore
    private let prompter: any ChallengePrompter
    private let pinPrompter: (any PINPrompter)?
    private let clock: any AgentClock
    private let transport: any HTTPTransport
    private let makeClient: @Sendable (DeviceProfile, any HTTPTransport, Logger) throws -> DeviceCredentialClient
    private let logger: Logger

    /// Creates the agent.
    /// - Parameters:
    ///   - pinPrompter: asks for the PIN of a TPM key that has one, before an answer is signed; without
    ///     one, challenges for such keys are left unanswered (and logged as errors).
    ///   - makeClient: opens a profile's client; by default with the key store the profile records and
    ///     ``ScopedPIN`` as its PIN provider, so a PIN is used only where the agent scopes one.
    public init(
        configuration: AgentConfiguration,
        profileStore: ProfileStore,
        prompter: any ChallengePrompter,
        pinPrompter: (any PINPrompter)? = nil,
        clock: any AgentClock = SystemAgentClock(),
        transport: any HTTPTransport = CurlTransport(),
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
        self.transport = transport
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

    private func pollAll() async throws {
        let profiles = try await waitForProfiles()
        try await withThrowingDiscardingTaskGroup { group in
            for profile in profiles {
                var profileLogger = logger
                profileLogger[metadataKey: "profile"] = "\(profile.name)"
                let client: DeviceCredentialClient
                do {
                    client = try makeClient(profile, transport, profileLogger)
                } catch {
                    profileLogger.error("profile cannot be polled", metadata: ["error": "\(error)"])
                    continue
                }
                let poller = ProfilePoller(
                    profile: profile, client: client, prompter: prompter, pinPrompter: pinPrompter, clock: clock,
                    schedule: configuration.schedule, logger: profileLogger)
                profileLogger.info("polling profile", metadata: ["apiURL": "\(profile.apiURL)"])
                group.addTask { _ = await poller.run() }
            }
        }
        // Every profile stopped (revoked or not enrolled): stay up quietly until asked to stop, so
        // `Restart=on-failure` does not loop; the logs said why.
        if !Task.isCancelled {
            logger.warning("no profile left to poll; idle until stopped")
            while true { _ = try await clock.waitBeforeNextPoll(.seconds(3600)) }
        }
    }

    /// The profiles to poll; with none enrolled yet, re-reads the list each interval until one appears.
    private func waitForProfiles() async throws -> [DeviceProfile] {
        var reported = false
        while true {
            let all = try profileStore.profiles()
            let wanted = configuration.profileNames
            let profiles = wanted.isEmpty ? all : all.filter { wanted.contains($0.name) }
            if !profiles.isEmpty { return profiles }
            if !reported {
                logger.notice(
                    "no enrolled profile yet; waiting for one", metadata: ["profiles": "\(profileStore.path)"])
                reported = true
            }
            _ = try await clock.waitBeforeNextPoll(configuration.schedule.interval)
        }
    }
}

extension DeviceCredentialAgent: CustomStringConvertible {
    /// How ServiceLifecycle's logs name the service (not a dump of its settings).
    public var description: String { "DeviceCredentialAgent" }
}
