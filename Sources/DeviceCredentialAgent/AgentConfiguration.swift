/// The agent's settings, as the command line gives them.
public struct AgentConfiguration: Sendable {
    /// The profiles to poll; empty means every enrolled profile.
    public var profileNames: [String]
    /// When to poll.
    public var schedule: PollSchedule
    /// The push-fatigue guard (on by default: 3 refused in 10 minutes hold new ones for 15).
    public var fatigueGuard: FatigueGuardSettings

    /// Creates a configuration.
    public init(
        profileNames: [String] = [], schedule: PollSchedule = PollSchedule(),
        fatigueGuard: FatigueGuardSettings = FatigueGuardSettings()
    ) {
        self.profileNames = profileNames
        self.schedule = schedule
        self.fatigueGuard = fatigueGuard
    }
}
