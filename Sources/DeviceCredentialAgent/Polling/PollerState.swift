import DeviceCredential
import FoundationEssentials
import Logging

/// What the poll loop of one profile learns: the start, what a poll found, how a wait ended, and
/// what came of a shown challenge or of the fatigue guard's warning (these two come from beside the loop).
enum PollEvent {
    case started
    case polled(PollResult)
    case waited(PollWait)
    /// A shown challenge's answering ended.
    case answered(challengeId: String, ShownOutcome)
    /// The person answered the fatigue guard's warning.
    case warningAnswered(FatigueWarningDecision)
}

/// What one poll found.
enum PollResult {
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

/// Why the rules stopped polling a profile for good.
enum PollStopReason: Equatable {
    case revoked
    case notEnrolled
}

/// What the poll loop does next, in order. Every answer to a poll, a wait or the start ends with `poll`,
/// `wait` or `stop`; the answer to `answered` or `warningAnswered` never does (the loop goes on as it was).
enum PollEffect: Equatable {
    case log(LogLine)
    /// Takes the prompt of this challenge away (and its PIN prompt): it is no longer pending.
    case withdraw(challengeId: String)
    /// Shows a challenge not shown before; the answer runs beside the loop (see ``AnswerState``).
    case show(AppChallenge)
    /// Holds a challenge the fatigue guard does not show: listed (CLI, D-Bus API), never answered here.
    case hold(AppChallenge)
    /// A held challenge is no longer pending.
    case release(challengeId: String)
    /// Shows the fatigue guard's warning; the decision comes back as `warningAnswered`.
    case warn(FatigueWarning)
    /// Signs and sends a denial of each ("Deny all" of the warning).
    case deny([AppChallenge])
    case poll
    case wait(Duration)
    case stop(PollStopReason)
}

/// The rules of one profile's poll loop, without a server, keyring or clock. Answers the questions
/// "what happens on X": each case of ``handle(_:at:)`` says it.
///
/// - A poll that works: the next one after the interval (jittered); a challenge not shown yet is
///   shown, once; the prompt of a challenge that is no longer pending is withdrawn.
/// - A server or network failure (a 429, a 503, no route): exponential back-off, capped, and never
///   sooner than `Retry-After`. A prompt that is open stays open: its challenge may still be pending.
/// - A local wait (keyring locked, no Secret Service, no session bus): said once, polling keeps the
///   normal pace so the fix is noticed quickly; "polling works again" once it does.
/// - Revoked on the server, or no key here: stop polling the profile (its open prompt is withdrawn).
/// - Resume from suspend: the failures are forgotten and the next poll is at once.
/// - Push fatigue: too many refused challenges start a cool-down where new ones are held and one
///   warning is shown instead (see ``FatigueGuard``).
struct PollerState {
    private(set) var schedule: PollSchedule
    /// The challenge whose prompt is open, if any.
    private(set) var openChallenge: String?
    /// The pending challenge the fatigue guard holds, if any.
    private(set) var heldChallenge: AppChallenge?
    private(set) var fatigue: FatigueGuard
    let profileName: String
    /// The failure said last, so a failure that goes on is logged once.
    private(set) var problem: DeviceCredentialError.Code?
    private var shown = RecentIDs(capacity: 64)

    init(schedule: PollSchedule, fatigue: FatigueGuardSettings = .off, profileName: String = "default") {
        self.schedule = schedule
        self.fatigue = FatigueGuard(settings: fatigue)
        self.profileName = profileName
    }

    /// The effects of `event`, which happened at `now`.
    mutating func handle(_ event: PollEvent, at now: Date) -> [PollEffect] {
        switch event {
        case .answered(let challengeId, let outcome):
            if openChallenge == challengeId { openChallenge = nil }
            return fatigue.shown(challengeId, ended: outcome, at: now) ? tripped() : []
        case .warningAnswered(let decision):
            return warningAnswered(decision, at: now)
        case .started, .waited(.elapsed):
            return [.poll]
        case .waited(.resumed):
            schedule.reset()
            return [.log(.notice("resumed from suspend; polling now")), .poll]
        case .polled(let result):
            var effects: [PollEffect] = [.log(.debug("polled", ["outcome": "\(result.summary)"]))]
            switch result {
            case .idle:
                effects += worksAgain() + withdrawOpen() + releaseHeld()
            case .pending(let challenge):
                effects += worksAgain() + show(challenge, at: now)
            case .failed(let error):
                if let stop = Self.stopReason(error.code) {
                    return effects + [.log(Self.report(stop))] + withdrawOpen() + releaseHeld() + [.stop(stop)]
                }
                effects += failed(error)
                problem = error.code
                return effects
            }
            return effects + [.wait(schedule.afterSuccess())]
        }
    }

    private mutating func worksAgain() -> [PollEffect] {
        defer { problem = nil }
        guard let problem else { return [] }
        return [.log(.notice("polling works again", ["was": "\(problem)"]))]
    }

    private mutating func withdrawOpen() -> [PollEffect] {
        defer { openChallenge = nil }
        return openChallenge.map { [.withdraw(challengeId: $0)] } ?? []
    }

    private mutating func releaseHeld() -> [PollEffect] {
        defer { heldChallenge = nil }
        return heldChallenge.map { [.release(challengeId: $0.challengeId)] } ?? []
    }

    /// A new challenge replaces the open one; one shown before (answered, left, withdrawn) is not shown
    /// again. During the fatigue guard's cool-down a new one is held instead.
    private mutating func show(_ challenge: AppChallenge, at now: Date) -> [PollEffect] {
        guard challenge.challengeId != openChallenge else { return [] }
        if let held = heldChallenge, held.challengeId == challenge.challengeId {
            // Held until the cool-down ends; still pending then, it is shown as any other.
            guard !fatigue.isCoolingDown(at: now) else { return [] }
            heldChallenge = nil
            fatigue.willShow(held)
            openChallenge = held.challengeId
            return [.release(challengeId: held.challengeId), .show(held)]
        }
        var effects: [PollEffect] = []
        if let replaced = openChallenge, fatigue.replaced(replaced, at: now) { effects += tripped() }
        effects += withdrawOpen() + releaseHeld()
        guard shown.insert(challenge.challengeId) else { return effects }
        switch fatigue.arriving(challenge, profile: profileName, at: now) {
        case .show:
            openChallenge = challenge.challengeId
            effects.append(.show(challenge))
        case .hold(let warning):
            heldChallenge = challenge
            effects.append(.hold(challenge))
            if let warning { effects.append(.warn(warning)) }
        }
        return effects
    }

    private func tripped() -> [PollEffect] {
        let settings = fatigue.settings
        return [
            .log(
                .warning(
                    "many challenges refused in a short time: holding new ones (fatigue guard)",
                    [
                        "refused": "\(fatigue.refusals.count)", "windowMinutes": "\(Self.minutes(settings.window))",
                        "coolDownMinutes": "\(Self.minutes(settings.coolDown))",
                    ]))
        ]
    }

    private mutating func warningAnswered(_ decision: FatigueWarningDecision, at now: Date) -> [PollEffect] {
        switch decision {
        case .denyAll:
            let pending = fatigue.denyAll(at: now)
            return [.log(.notice("fatigue warning: deny all", ["challenges": "\(pending.count)"])), .deny(pending)]
        case .showAnyway:
            fatigue.showAnyway()
            var effects: [PollEffect] = [.log(.notice("fatigue warning: show anyway; challenges are shown again"))]
            if let held = heldChallenge {
                heldChallenge = nil
                effects += withdrawOpen() + [.release(challengeId: held.challengeId)]
                fatigue.willShow(held)
                openChallenge = held.challengeId
                effects.append(.show(held))
            }
            return effects
        case .dismissed:
            return [.log(.info("fatigue warning dismissed; new challenges stay held until the cool-down ends"))]
        }
    }

    private static func minutes(_ seconds: TimeInterval) -> String {
        let minutes = seconds / 60
        return minutes.rounded() == minutes && abs(minutes) < 1e9 ? "\(Int(minutes))" : "\(minutes)"
    }

    /// A failure that does not stop polling: wait at the normal pace for a local one, back off for the rest.
    private mutating func failed(_ error: DeviceCredentialError) -> [PollEffect] {
        let isNew = problem != error.code
        let metadata: Logger.Metadata = [
            "error": "\(error.code)", "detail": "\(DisplayText.terminal(error.message))",
        ]
        if let waiting = Self.localWait(error.code) {
            return (isNew ? [.log(.warning(waiting, metadata))] : []) + [.wait(schedule.afterSuccess())]
        }
        let delay = schedule.afterFailure(retryAfter: error.retryAfter)
        return (isNew ? [.log(.warning("poll failed; backing off", metadata))] : []) + [
            .log(.debug("next poll", ["delay": "\(delay)", "failures": "\(schedule.failures)"])),
            .wait(delay),
        ]
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

    static func stopReason(_ code: DeviceCredentialError.Code) -> PollStopReason? {
        switch code {
        case .invalidCredential: return .revoked
        case .notEnrolled: return .notEnrolled
        default: return nil
        }
    }

    static func report(_ stop: PollStopReason) -> LogLine {
        switch stop {
        case .revoked:
            return .error(
                "credential revoked on the server; no longer polling this profile",
                ["hint": "enroll again with devicecred enroll; the agent then polls it again by itself"])
        case .notEnrolled:
            return .error(
                "profile has no key on this machine; no longer polling it",
                ["hint": "enroll with devicecred enroll; the agent then polls it by itself"])
        }
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
