/// The agent's settings, as the command line gives them.
public struct AgentConfiguration: Sendable {
    /// The profiles to poll; empty means every enrolled profile.
    public var profileNames: [String]
    /// When to poll.
    public var schedule: PollSchedule

    /// Creates a configuration.
    public init(profileNames: [String] = [], schedule: PollSchedule = PollSchedule()) {
        self.profileNames = profileNames
        self.schedule = schedule
    }
}
