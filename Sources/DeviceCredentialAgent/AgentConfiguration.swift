/// The agent's settings, as the command line gives them.
public struct AgentConfiguration: Sendable {
    /// The profiles to poll; empty means every enrolled profile.
    public var profileNames: [String]
    /// When to poll.
    public var schedule: PollSchedule
    /// The push-fatigue guard (on by default: 3 refused in 10 minutes hold new ones for 15).
    public var fatigueGuard: FatigueGuardSettings
    /// Renew credentials the server gives an `expiresAt` before it (keys without a PIN), or tell the
    /// person to (keys with one).
    public var keepsCredentialsAlive: Bool

    /// Creates a configuration.
    public init(
        profileNames: [String] = [], schedule: PollSchedule = PollSchedule(),
        fatigueGuard: FatigueGuardSettings = FatigueGuardSettings(), keepsCredentialsAlive: Bool = true
    ) {
        self.keepsCredentialsAlive = keepsCredentialsAlive
        self.profileNames = profileNames
        self.schedule = schedule
        self.fatigueGuard = fatigueGuard
    }
}
