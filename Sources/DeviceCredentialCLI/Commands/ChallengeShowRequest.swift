import DeviceCredential

/// `devicecred challenge --show`: asks the running agent, over the session bus, to show the profile's
/// open challenge again (a dismissed notification comes back). Starts nothing.
enum ChallengeShowRequest {
    /// The ids shown again. Throws `agent_unavailable` (no agent, no bus) or `no_pending_challenge`.
    static func show(profile: String) throws(CommandFailure) -> [String] {
        let probe: SessionBusProbe
        do {
            probe = try SessionBusProbe(address: try SessionBusAddress.resolve())
        } catch {
            throw CommandFailure(
                code: "agent_unavailable", message: "no session bus to reach the agent on: \(error)",
                status: .agentUnavailable)
        }
        guard probe.hasOwner(SessionBusProbe.agentName) else {
            throw CommandFailure(
                code: "agent_unavailable",
                message: "no devicecred-agent runs in this session (start it: systemctl --user start devicecred-agent)",
                status: .agentUnavailable)
        }
        let open: [(challengeId: String, profile: String)]
        do {
            open = try probe.agentOpenChallenges()
        } catch {
            throw Self.failure(error)
        }
        var shown: [String] = []
        for challenge in open where challenge.profile == profile {
            do {
                try probe.agentShowChallenge(challenge.challengeId)
                shown.append(challenge.challengeId)
            } catch  where error.remoteName == "io.github.DeviceCredential.Agent1.Error.ChallengeGone" {
                continue  // answered or expired meanwhile
            } catch {
                throw Self.failure(error)
            }
        }
        guard !shown.isEmpty else {
            throw CommandFailure(
                code: "no_pending_challenge",
                message: "the agent has no open challenge for profile '\(DisplayText.terminal(profile))' "
                    + "(devicecred challenge shows what the server has pending; devicecred approve answers it)",
                status: .challengeUnavailable)
        }
        return shown
    }

    private static func failure(_ error: SessionBusProbe.CallError) -> CommandFailure {
        CommandFailure(
            code: "agent_unavailable",
            message: "the agent did not answer: \(DisplayText.terminal(error.remoteName ?? "")) "
                + DisplayText.terminal(error.message),
            status: .agentUnavailable)
    }
}
