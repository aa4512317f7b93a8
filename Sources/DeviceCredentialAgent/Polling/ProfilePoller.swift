import DeviceCredential
import Logging

/// Polls one profile's pending challenge until cancelled, or until the profile cannot be polled any
/// more (credential revoked on the server, no key on this machine). Carries out what ``PollerState``
/// and ``AnswerState`` decide: the rules are there, the polling, waiting, prompting and sending here.
struct ProfilePoller: Sendable {
    var profile: DeviceProfile
    var client: DeviceCredentialClient
    var prompter: any ChallengePrompter
    var pinPrompter: (any PINPrompter)?
    var clock: any AgentClock
    /// Prompts wait while the session is locked or in the background; polling does not.
    var presence: SessionPresence
    /// What the D-Bus API lists and answers.
    var board: AgentBoard
    var schedule: PollSchedule
    /// The push-fatigue guard's settings.
    var fatigue: FatigueGuardSettings = .off
    /// Renews the credential before a server-given `expiresAt` (``CredentialKeepAlive``).
    var keepsCredentialAlive = false
    /// Where each shown challenge's outcome is written, and how "This wasn't me" is reported.
    var history: HistoryRecorder
    var reporter: ChallengeReporter
    var logger: Logger

    /// Polls until the task is cancelled or the profile stops (``PollStopReason``, logged by the rules).
    func run() async {
        var state = PollerState(schedule: schedule, fatigue: fatigue, profileName: profile.name)
        var open: (id: String, withdrawal: Withdrawal)?
        var warning: Withdrawal?
        let mailbox = PollerMailbox()
        let blocking = BlockingWorkExecutor(label: "devicecred.poll.\(profile.name)")
        if await blocking.run({ Self.holdsOnlyOtherNamespaces(client) }) {
            board.setProfile(entry(state: .notEnrolled))
            logger.notice(
                "profile holds QR-code or in-app credentials only, no push credential: nothing to poll",
                metadata: ["hint": "devicecred enroll --profile \(profile.name) adds a push credential"])
            return
        }
        let keeper = Withdrawal()
        await withDiscardingTaskGroup { group in
            if keepsCredentialAlive {
                group.addTask {
                    _ = await UntilWithdrawn(withdrawal: keeper, deadline: nil).run { await keepCredentialAlive() }
                }
            }
            defer {
                keeper.fire()
                open?.withdrawal.fire()
                warning?.fire()
                if fatigue.isEnabled { HeldChallenges.remove(profile: profile.name) }
            }
            var event = PollEvent.started
            while !Task.isCancelled {
                var next: PollEvent?
                // What came from beside the loop first: how answers ended, the warning's answer.
                var effects = mailbox.take().flatMap { state.handle($0.event, at: clock.now) }
                effects += state.handle(event, at: clock.now)
                board.setProfile(entry(state: Self.boardState(effects: effects, problem: state.problem)))
                for effect in effects {
                    switch effect {
                    case .log(let line):
                        logger.log(line)
                    case .withdraw(let challengeId) where open?.id == challengeId:
                        // After an idle poll the challenge is no longer pending; otherwise the agent takes it away.
                        let idle = if case .polled(.idle) = event { true } else { false }
                        open?.withdrawal.fire(noLongerPending: idle)
                        open = nil
                    case .withdraw:
                        break
                    case .show(let challenge):
                        let withdrawal = Withdrawal()
                        open = (challenge.challengeId, withdrawal)
                        group.addTask { await answer(challenge, withdrawal: withdrawal, mailbox: mailbox) }
                    case .hold(let challenge):
                        heldByGuard(challenge, state: state)
                    case .release(let challengeId):
                        board.closed(challengeId, resolution: .withdrawn)
                        publishHeld(state)
                    case .warn(let text):
                        warning?.fire()
                        let withdrawal = Withdrawal()
                        warning = withdrawal
                        group.addTask { await warn(text, withdrawal: withdrawal, mailbox: mailbox) }
                    case .deny(let challenges):
                        publishHeld(state)
                        group.addTask { await denyAll(challenges) }
                    case .stop:
                        return
                    case .poll:
                        guard let result = try? await poll(on: blocking) else { return }  // cancelled mid-poll
                        next = .polled(result)
                    case .wait(let delay):
                        guard let waited = try? await wait(delay, mailbox: mailbox) else { return }
                        next = waited
                    }
                }
                if !state.fatigue.isCoolingDown(at: clock.now), warning != nil {
                    warning?.fire()
                    warning = nil
                }
                guard let next else { return }
                event = next
            }
        }
    }

    /// Waits before the next poll: the delay, a resume from suspend, an app's `PollNow`, or the answer to
    /// the fatigue guard's warning.
    private func wait(_ delay: Duration, mailbox: PollerMailbox) async throws -> PollEvent {
        let (clock, pollNow, urgent) = (self.clock, board.pollNowSignal, mailbox.urgent)
        let (seen, seenUrgent) = (pollNow.count, urgent.count)
        return try await withThrowingTaskGroup(of: PollEvent.self) { group in
            group.addTask { .waited(try await clock.waitBeforeNextPoll(delay)) }
            group.addTask {
                await pollNow.wait(after: seen)
                try Task.checkCancellation()
                return .started
            }
            group.addTask {
                await urgent.wait(after: seenUrgent)
                try Task.checkCancellation()
                return .started
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            return first
        }
    }

    private func entry(state: AgentBoard.ProfileState) -> AgentBoard.ProfileEntry {
        AgentBoard.ProfileEntry(
            name: profile.name, state: state, keyKind: profile.keyKind.rawValue, apiURL: profile.apiURL,
            usesNumberMatching: profile.usesNumberMatching)
    }

    /// The profile's state as the D-Bus API says it, after the rules handled an event.
    /// A profile enrolled with `devicecred enroll --namespace qr|inapp` only: no push key here, but another.
    private static func holdsOnlyOtherNamespaces(_ client: DeviceCredentialClient) -> Bool {
        guard case .success(nil) = Result(catching: { try client.localKeySummary() }) else { return false }
        let other = [{ try client.qr.localKeySummary() }, { try client.inApp.localKeySummary() }]
        return other.contains { ((try? $0()) ?? nil) != nil }
    }

    static func boardState(effects: [PollEffect], problem: DeviceCredentialError.Code?) -> AgentBoard.ProfileState {
        for case .stop(let stop) in effects {
            return stop == .revoked ? .revoked : .notEnrolled
        }
        switch problem {
        case nil: return .polling
        case .keyringLocked: return .keyringLocked
        case .keyringUnavailable, .dbusUnavailable: return .waitingForBus
        default: return .backingOff
        }
    }

    private func poll(on blocking: BlockingWorkExecutor) async throws -> PollResult {
        do {
            return try await blocking.run { try await client.getChallenge() }.map(PollResult.pending) ?? .idle
        } catch let error as DeviceCredentialError {
            return .failed(error)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            return .failed(DeviceCredentialError(code: .networkError, message: "\(error)"))
        }
    }

    /// Shows one challenge and sends the answer; the prompt (and a PIN prompt after it) is taken away
    /// when `withdrawal` fires or the challenge expires.
    private func answer(_ challenge: AppChallenge, withdrawal: Withdrawal, mailbox: PollerMailbox) async {
        var logger = self.logger
        logger[metadataKey: "challengeId"] = "\(challenge.challengeId)"
        let request = PromptRequest(challenge: challenge, profile: profile, now: clock.now)
        let race = UntilWithdrawn(withdrawal: withdrawal, deadline: request.timeLeft.map { .now + $0 })
        var state = AnswerState(challenge: challenge, profile: profile, hasPINPrompter: pinPrompter != nil)
        board.opened(
            .init(profile: profile.name, challenge: challenge, needsVerificationCode: request.needsVerificationCode))
        var resolution = AgentBoard.Resolution.unanswered
        // Another answer from this machine (the CLI, an app) or, as the server said, from elsewhere went first.
        var answeredElsewhere = false
        defer {
            let byApp = board.closed(challenge.challengeId, resolution: resolution, notSent: state.notSent)
            history.record(
                challenge, profile: profile.name,
                outcome: answeredElsewhere
                    ? .answeredElsewhere
                    : outcome(resolution, of: challenge, reported: state.isReported, withdrawal: withdrawal),
                channel: byApp ? .dbusApp : HistoryRecorder.channel(of: prompter))
            mailbox.post(.answered(challengeId: challenge.challengeId, Self.outcome(resolution)))
        }
        // Its own: signing may wait for the TPM or keyring while this profile's poll waits too.
        let blocking = BlockingWorkExecutor(label: "devicecred.answer.\(profile.name)")
        var event = AnswerEvent.started
        while true {
            var next: AnswerEvent?
            for effect in state.handle(event) {
                switch effect {
                case .log(let line):
                    logger.log(line)
                case .finish:
                    return
                case .report(let denied):
                    let channel: HistoryChannel =
                        board.isDecidedByApp(challenge.challengeId) ? .dbusApp : HistoryRecorder.channel(of: prompter)
                    let now = PromptRequest(challenge: challenge, profile: profile, now: clock.now)
                    await reporter.report(now, channel: channel, denied: denied)
                case .askDecision:
                    next = await decision(challenge, race: race, logger: logger)
                case .checkKeyPIN:
                    next = .keyNeedsPIN(await blocking.run { Result { try client.localKeyRequiresPIN() } })
                case .askPIN(let attempt):
                    next = await pin(
                        for: challenge, approving: state.answer?.approved ?? false, attempt: attempt, race: race)
                case .send(let approved, let code, let pin):
                    let sent = await send(challenge.challengeId, approved: approved, code: code, pin: pin, on: blocking)
                    if case .accepted(let isVerified) = sent {
                        resolution =
                            approved ? (isVerified ? .approved : .refused) : state.isReported ? .reported : .denied
                    }
                    next = sent.map(AnswerEvent.sent)
                }
            }
            // Nothing to go on with: the agent is shutting down.
            guard let next, !Task.isCancelled else { return }
            if case .withdrawn = next { resolution = .withdrawn }
            if case .sent(.alreadyAnswered) = next { (resolution, answeredElsewhere) = (.withdrawn, true) }
            event = next
        }
    }

    /// The history's outcome of a shown challenge whose answering ended with `resolution`.
    private func outcome(
        _ resolution: AgentBoard.Resolution, of challenge: AppChallenge, reported: Bool, withdrawal: Withdrawal
    ) -> HistoryOutcome {
        // Reported, whether or not the denial was sent (no PIN given, withdrawn meanwhile): the person's report.
        if reported { return .reported }
        switch resolution {
        case .approved: return .approved
        case .refused: return .refused
        case .denied: return .denied
        case .reported: return .reported
        case .unanswered:
            return Task.isCancelled ? .withdrawn : .dismissed
        case .withdrawn:
            // Not fired: the prompt's own deadline took it; fired after an idle poll: gone from the server.
            guard withdrawal.hasFired else { return .expired }
            guard withdrawal.firedAsNoLongerPending else { return .withdrawn }
            let expired = challenge.expiresAt.map { $0 <= clock.now } ?? false
            return expired ? .expired : .answeredElsewhere
        }
    }

    /// The person's decision: from the prompter once the session is present, or from an app over D-Bus
    /// (``AgentBoard``), whichever comes first; the other is taken away.
    private func decision(_ challenge: AppChallenge, race: UntilWithdrawn, logger: Logger) async -> AnswerEvent? {
        let (prompter, presence, clock, profile, board) = (
            self.prompter, self.presence, self.clock, self.profile, self.board
        )
        let event = await race.run { () -> AnswerEvent? in
            await withTaskGroup(of: AnswerEvent?.self) { group in
                group.addTask {
                    await board.appDecision(for: challenge.challengeId).map {
                        logger.info("decision received from an app over D-Bus")
                        return .decided($0)
                    }
                }
                group.addTask {
                    if !presence.state.isPresent {
                        logger.notice("session locked or in the background; the challenge waits to be shown")
                        await presence.waitUntilPresent()
                        guard !Task.isCancelled else { return nil }
                        logger.info("session present again; showing the challenge that waited")
                    }
                    // Made when shown, so a challenge that waited shows the time it has left now.
                    let request = PromptRequest(challenge: challenge, profile: profile, now: clock.now)
                    do {
                        return .decided(try await prompter.prompt(request))
                    } catch is CancellationError {
                        return nil
                    } catch {
                        return .promptFailed(error)
                    }
                }
                // The first to answer wins (nil only when cancelled, which ends both).
                defer { group.cancelAll() }
                for await answer in group {
                    if let answer { return answer }
                }
                return nil
            }
        }
        return event ?? .withdrawn
    }

    private func pin(for challenge: AppChallenge, approving: Bool, attempt: Int, race: UntilWithdrawn) async
        -> AnswerEvent?
    {
        guard let pinPrompter else { return nil }
        // The time left is counted again for each prompt.
        let pinRequest = PINRequest(
            challenge: PromptRequest(challenge: challenge, profile: profile, now: clock.now),
            approving: approving, attempt: attempt, maximumAttempts: AnswerState.maximumPINAttempts)
        let event = await race.run { () -> AnswerEvent? in
            do {
                return .pinTyped(try await pinPrompter.askPIN(pinRequest))
            } catch is CancellationError {
                return nil
            } catch {
                return .pinPromptFailed(error)
            }
        }
        return event ?? .withdrawn
    }

    /// Signs and sends the answer, with `pin` for the key when given; nil when cancelled.
    private func send(
        _ challengeId: String, approved: Bool, code: String?, pin: String?, on blocking: BlockingWorkExecutor
    ) async -> AnswerSent? {
        do {
            let verified = try await blocking.run {
                try await ScopedPIN.$pin.withValue(pin) {
                    try await client.updateChallenge(
                        challengeId: challengeId, approved: approved, verificationCode: code)
                }
            }
            return .accepted(isVerified: verified)
        } catch let error as DeviceCredentialError where error.code == .tpmAuthFailed {
            return .wrongPIN
        } catch let error as DeviceCredentialError where error.code == .tpmLockout {
            return .lockedOut
        } catch let error as DeviceCredentialError where error.code == .alreadyAnswered || error.httpStatus == 409 {
            return .alreadyAnswered
        } catch is CancellationError {
            return nil
        } catch {
            return .failed(error)
        }
    }
}
