import DeviceCredential
import FoundationEssentials
import Logging

/// The fatigue guard's effects: a held challenge listed, the one warning shown, "Deny all" sent.
extension ProfilePoller {
    /// A challenge the guard holds: listed by the D-Bus API and for `devicecred challenge`, never shown
    /// one by one and never answered by the agent.
    func heldByGuard(_ challenge: AppChallenge, state: PollerState) {
        history.suppressedByGuard(challenge, profile: profile.name, channel: HistoryRecorder.channel(of: prompter))
        logger.notice(
            "challenge held by the fatigue guard",
            metadata: [
                "challengeId": "\(challenge.challengeId)", "action": "\(challenge.actionCode ?? "-")",
                "ipAddress": "\(challenge.ipAddress ?? "-")",
            ])
        board.opened(
            .init(
                profile: profile.name, challenge: challenge, needsVerificationCode: profile.usesNumberMatching,
                heldByGuard: true))
        publishHeld(state)
    }

    /// Writes what is held for the CLI (best effort: without a runtime directory the CLI only lacks a note).
    func publishHeld(_ state: PollerState) {
        guard let ends = state.fatigue.coolDownEnds, let held = state.heldChallenge else {
            HeldChallenges.remove(profile: profile.name)
            return
        }
        let ids = state.fatigue.held.map(\.challengeId)
        do {
            try HeldChallenges(
                challengeIds: ids.contains(held.challengeId) ? ids : ids + [held.challengeId],
                coolDownEnds: ends.timeIntervalSince1970
            ).write(profile: profile.name)
        } catch {
            logger.debug("cannot write the held challenges for the CLI", metadata: ["error": "\(error)"])
        }
    }

    /// Shows the cool-down's one warning (once the session is present) and posts the decision; taken away
    /// when the cool-down ends or the poller stops.
    func warn(_ warning: FatigueWarning, withdrawal: Withdrawal, mailbox: PollerMailbox) async {
        let (logger, presence) = (self.logger, self.presence)
        logger.warning(
            "someone may know your password: many sign-in requests refused; new ones are held",
            metadata: [
                "attempts": "\(warning.attempts)", "ipAddresses": "\(warning.ipAddresses)",
                "browsers": "\(warning.userAgents.map { UserAgentSummary.text(for: $0) })",
                "until": "\(FatigueWarningText.expiryClock(warning.coolDownEnds))",
            ])
        // With the D-Bus API the agent's own prompter sits behind the router (apps answer challenges, not this).
        let own = (prompter as? PromptRouter)?.own ?? prompter
        guard let prompter = own as? any FatigueWarningPrompter else {
            logger.notice("this prompter shows no fatigue warning; devicecred challenge lists what is held")
            return
        }
        let timeLeft = PromptRequest.duration(seconds: warning.coolDownEnds.timeIntervalSince(clock.now))
        let race = UntilWithdrawn(withdrawal: withdrawal, deadline: .now + timeLeft)
        let decision = await race.run { () -> FatigueWarningDecision? in
            if !presence.state.isPresent { await presence.waitUntilPresent() }
            guard !Task.isCancelled else { return nil }
            do {
                return try await prompter.warn(warning)
            } catch is CancellationError {
                return nil
            } catch {
                logger.error("fatigue warning failed", metadata: ["error": "\(error)"])
                return .dismissed
            }
        }
        guard let decision else { return }
        mailbox.post(.warningAnswered(decision))
    }

    /// "Deny all": a signed denial of each held challenge still pending (the key's PIN asked once).
    func denyAll(_ challenges: [AppChallenge]) async {
        guard let last = challenges.last else { return }
        let blocking = BlockingWorkExecutor(label: "devicecred.deny.\(profile.name)")
        var pin: String?
        let client = self.client
        if (try? await blocking.run { try client.localKeyRequiresPIN() }) == true {
            let request = PINRequest(
                challenge: PromptRequest(challenge: last, profile: profile, now: clock.now), approving: false,
                attempt: 1, maximumAttempts: 1)
            guard let pinPrompter, let typed = try? await pinPrompter.askPIN(request), !typed.isEmpty else {
                logger.error("deny all needs the key's PIN and none was given; the held challenges stay pending")
                return
            }
            pin = typed
        }
        for challenge in challenges {
            do {
                _ = try await blocking.run {
                    try await ScopedPIN.$pin.withValue(pin) {
                        try await client.updateChallenge(
                            challengeId: challenge.challengeId, approved: false, verificationCode: nil)
                    }
                }
                logger.notice("held challenge denied", metadata: ["challengeId": "\(challenge.challengeId)"])
            } catch {
                logger.info(
                    "held challenge not denied: answered or expired meanwhile",
                    metadata: ["challengeId": "\(challenge.challengeId)", "error": "\(error)"])
            }
        }
    }

    /// How an answering's end counts for the guard.
    static func outcome(_ resolution: AgentBoard.Resolution) -> ShownOutcome {
        switch resolution {
        case .approved, .refused: return .approved
        case .denied, .reported: return .denied
        case .withdrawn: return .withdrawn
        case .unanswered: return .dismissed
        }
    }
}
