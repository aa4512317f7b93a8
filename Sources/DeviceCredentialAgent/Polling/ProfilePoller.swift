import DeviceCredential
import Logging

/// Polls one profile's pending challenge until cancelled, or until the profile cannot be polled any
/// more (credential revoked on the server, no key on this machine). Shows each new challenge once,
/// answers it with the person's decision, and takes the prompt away once the challenge is gone.
struct ProfilePoller: Sendable {
    var profile: DeviceProfile
    var client: DeviceCredentialClient
    var prompter: any ChallengePrompter
    var pinPrompter: (any PINPrompter)?
    var clock: any AgentClock
    var schedule: PollSchedule
    var logger: Logger

    /// What one poll found.
    enum Outcome {
        case idle
        case pending(AppChallenge)
        case failed(DeviceCredentialError)

        /// For logs: `idle`, `pending`, or the error code.
        var summary: String {
            switch self {
            case .idle: return "idle"
            case .pending: return "pending"
            case .failed(let error): return error.code.rawValue
            }
        }
    }

    /// Why polling a profile stopped.
    enum Stop: Equatable {
        case revoked
        case notEnrolled
    }

    /// Polls until the task is cancelled (returns nil) or the profile stops (returns why).
    func run() async -> Stop? {
        var schedule = self.schedule
        var shown = RecentIDs(capacity: 64)
        var active: (id: String, withdrawal: Withdrawal)?
        var problem: DeviceCredentialError.Code?
        return await withDiscardingTaskGroup { group -> Stop? in
            defer { active?.withdrawal.fire() }
            while !Task.isCancelled {
                let outcome: Outcome
                do {
                    outcome = try await poll()
                } catch {
                    return nil  // cancelled in the middle of a poll
                }
                logger.debug("polled", metadata: ["outcome": "\(outcome.summary)"])
                let delay: Duration
                switch outcome {
                case .idle, .pending:
                    if let problem { logger.notice("polling works again", metadata: ["was": "\(problem)"]) }
                    problem = nil
                    delay = schedule.afterSuccess()
                case .failed(let error):
                    if let stop = stopReason(error) {
                        report(stop, error: error)
                        return stop
                    }
                    if let waiting = Self.localWait(error.code) {
                        // Local and cheap to retry: keep the normal pace so the fix is noticed quickly.
                        if problem != error.code {
                            logger.warning(
                                waiting,
                                metadata: [
                                    "error": "\(error.code)", "detail": "\(DisplayText.terminal(error.message))",
                                ])
                        }
                        delay = schedule.afterSuccess()
                    } else {
                        delay = schedule.afterFailure(retryAfter: error.retryAfter)
                        if problem != error.code {
                            logger.warning(
                                "poll failed; backing off",
                                metadata: [
                                    "error": "\(error.code)", "detail": "\(DisplayText.terminal(error.message))",
                                ])
                        }
                        logger.debug("next poll", metadata: ["delay": "\(delay)", "failures": "\(schedule.failures)"])
                    }
                    problem = error.code
                }

                switch outcome {
                case .idle:
                    active?.withdrawal.fire()
                    active = nil
                case .pending(let challenge) where challenge.challengeId != active?.id:
                    active?.withdrawal.fire()
                    active = nil
                    if shown.insert(challenge.challengeId) {
                        let withdrawal = Withdrawal()
                        active = (challenge.challengeId, withdrawal)
                        let request = PromptRequest(challenge: challenge, profile: profile, now: clock.now)
                        group.addTask { await ask(request, withdrawal: withdrawal) }
                    }
                case .pending, .failed:
                    break
                }

                do {
                    if try await clock.waitBeforeNextPoll(delay) == .resumed {
                        logger.notice("resumed from suspend; polling now")
                        schedule.reset()
                    }
                } catch {
                    return nil
                }
            }
            return nil
        }
    }

    private func poll() async throws -> Outcome {
        let client = self.client
        do {
            return try await stopWaitingOnCancel { try await client.getChallenge() }.map(Outcome.pending) ?? .idle
        } catch let error as DeviceCredentialError {
            return .failed(error)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            return .failed(DeviceCredentialError(code: .networkError, message: "\(error)"))
        }
    }

    /// What the agent says while it waits for something on this machine that fixes itself or a person
    /// fixes (an unlock, a keyring or bus that starts); nil for other failures. It never stops polling
    /// for these.
    static func localWait(_ code: DeviceCredentialError.Code) -> Logger.Message? {
        switch code {
        case .keyringLocked: return "keyring locked; waiting for it to be unlocked"
        case .keyringUnavailable: return "no Secret Service on the session bus; waiting for the keyring to start"
        case .dbusUnavailable: return "no D-Bus session bus; waiting for it to start"
        default: return nil
        }
    }

    private func stopReason(_ error: DeviceCredentialError) -> Stop? {
        switch error.code {
        case .invalidCredential: return .revoked
        case .notEnrolled: return .notEnrolled
        default: return nil
        }
    }

    private func report(_ stop: Stop, error: DeviceCredentialError) {
        switch stop {
        case .revoked:
            logger.error(
                "credential revoked on the server; no longer polling this profile",
                metadata: ["hint": "enroll again with devicecred enroll; the agent then polls it again by itself"])
        case .notEnrolled:
            logger.error(
                "profile has no key on this machine; no longer polling it",
                metadata: ["hint": "enroll with devicecred enroll; the agent then polls it by itself"])
        }
    }

    /// Shows one challenge and sends the answer; the prompt (and a PIN prompt after it) is taken away
    /// when `withdrawal` fires or the challenge expires.
    private func ask(_ request: PromptRequest, withdrawal: Withdrawal) async {
        let challengeId = request.challenge.challengeId
        var logger = self.logger
        logger[metadataKey: "challengeId"] = "\(challengeId)"
        logger.info(
            "challenge received",
            metadata: [
                "action": "\(request.challenge.actionCode ?? "-")",
                "ipAddress": "\(request.challenge.ipAddress ?? "-")",
            ])
        let prompter = self.prompter
        let promptLogger = logger
        let race = UntilWithdrawn(withdrawal: withdrawal, deadline: request.timeLeft.map { .now + $0 })
        let decision = await race.run { () -> PromptDecision? in
            do {
                return try await prompter.prompt(request)
            } catch is CancellationError {
                return nil
            } catch {
                promptLogger.error("prompt failed", metadata: ["error": "\(error)"])
                return .unanswered
            }
        }
        guard !Task.isCancelled else { return }
        let answer: (approved: Bool, code: String?)
        switch decision {
        case nil:
            logger.info("challenge withdrawn: answered elsewhere or expired")
            return
        case .unanswered:
            logger.info("challenge left unanswered")
            return
        case .approve(let code) where request.needsVerificationCode && (code ?? "").isEmpty:
            logger.warning("approval without the number-matching code refused; challenge left unanswered")
            return
        case .approve(let code):
            answer = (true, request.needsVerificationCode ? code : nil)
        case .deny:
            answer = (false, nil)
        }
        let needsPIN: Bool
        do {
            needsPIN = try client.localKeyRequiresPIN()
        } catch {
            logger.error("could not send the answer", metadata: ["error": "\(error)"])
            return
        }
        guard needsPIN else {
            _ = await send(challengeId, approved: answer.approved, code: answer.code, pin: nil, logger: logger)
            return
        }
        await answerWithPIN(request, approved: answer.approved, code: answer.code, race: race, logger: logger)
    }

    /// How sending an answer went.
    enum Sent {
        case done
        case wrongPIN
        case lockedOut
    }

    /// Signs and sends the answer, with `pin` for the key when given.
    func send(_ challengeId: String, approved: Bool, code: String?, pin: String?, logger: Logger) async -> Sent {
        let client = self.client
        do {
            let verified = try await stopWaitingOnCancel {
                try await ScopedPIN.$pin.withValue(pin) {
                    try await client.updateChallenge(
                        challengeId: challengeId, approved: approved, verificationCode: code)
                }
            }
            if approved && !verified {
                reportRefusedApproval(logger: logger)
            } else {
                logger.notice(
                    approved ? "challenge approved" : "challenge denied", metadata: ["isVerified": "\(verified)"])
            }
        } catch let error as DeviceCredentialError where error.code == .tpmAuthFailed {
            return .wrongPIN
        } catch let error as DeviceCredentialError where error.code == .tpmLockout {
            return .lockedOut
        } catch is CancellationError {
            return .done
        } catch {
            logger.error("could not send the answer", metadata: ["error": "\(error)"])
        }
        return .done
    }
}

extension ProfilePoller {
    /// An approval the server did not verify reads like success in a plain log line: say it was refused,
    /// and what to change when the profile does not know the sign-in uses number matching.
    func reportRefusedApproval(logger: Logger) {
        guard !profile.usesNumberMatching else {
            logger.error(
                "the server refused the approval (isVerified=false): the code did not match the one the sign-in shows")
            return
        }
        let option = profile.name == DeviceProfile.defaultName ? "" : " --profile \(profile.name)"
        logger.error(
            "the server refused the approval (isVerified=false); if the sign-in shows a number, enable number matching",
            metadata: ["fix": "devicecred profile set --number-matching on\(option)"])
    }
}

/// The challenge ids already shown, oldest forgotten first.
struct RecentIDs {
    let capacity: Int
    private var ids: [String] = []

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Adds `id`; returns false when it was already there.
    mutating func insert(_ id: String) -> Bool {
        guard !ids.contains(id) else { return false }
        ids.append(id)
        if ids.count > capacity { ids.removeFirst() }
        return true
    }
}
