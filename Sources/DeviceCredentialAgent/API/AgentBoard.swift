public import DeviceCredential
import DeviceCredentialLocking
public import FoundationEssentials

/// What the agent knows right now, for its D-Bus API: each profile's polling state and each challenge
/// whose prompt is open, and the answers apps send for them. The pollers write it; the bus service reads
/// it and hears its events (which become D-Bus signals).
///
/// An app's answer goes the way a prompter's does: into the challenge's own answering (PIN prompt by the
/// agent's PIN prompter, signing, sending), so there is one answer per challenge whoever gives it.
public final class AgentBoard: Sendable {
    /// A profile as the API lists it.
    public struct ProfileEntry: Equatable, Sendable {
        public var name: String
        public var state: ProfileState
        public var keyKind: String
        public var apiURL: String
        public var usesNumberMatching: Bool
    }

    /// Where a profile's polling is.
    public enum ProfileState: String, Sendable {
        case polling
        case backingOff = "backing-off"
        case keyringLocked = "keyring-locked"
        case waitingForBus = "waiting-for-bus"
        case revoked
        case notEnrolled = "not-enrolled"
    }

    /// A challenge whose prompt is open (or waits for the screen to be unlocked).
    public struct OpenChallenge: Sendable {
        public var profile: String
        public var challenge: AppChallenge
        public var needsVerificationCode: Bool
        /// Held by the push-fatigue guard: not shown, answered only with the CLI or the warning's "Show anyway".
        public var heldByGuard = false
    }

    /// How a challenge stopped being open.
    public enum Resolution: String, Sendable {
        case approved
        case denied
        /// Denied as "This wasn't me" (and reported).
        case reported
        /// Sent, but the server did not verify the approval (the number-matching code did not match).
        case refused
        /// Answered elsewhere, or expired.
        case withdrawn
        /// Left unanswered (prompt dismissed, PIN not given, a failure): still pending for another device.
        case unanswered
    }

    /// How an app's answer ended: the challenge's resolution and, when it was left unanswered, why
    /// nothing was sent (nil when that is not known, e.g. a prompt left unanswered).
    public struct AnswerEnding: Sendable, Equatable {
        public var resolution: Resolution
        public var notSent: AnswerNotSent?
    }

    public enum Event: Sendable {
        case challengeReceived(OpenChallenge)
        case challengeResolved(challengeId: String, profile: String, Resolution)
        case profilesChanged
    }

    /// Why an app's answer was not taken.
    public enum AnswerRefusal: Error, Equatable, Sendable {
        /// Not open here: unknown, answered, withdrawn, or an answer is already under way.
        case challengeGone
        /// Approve without the number-matching code the challenge needs.
        case codeRequired
        /// Held by the push-fatigue guard: no prompt waits for an answer.
        case heldByGuard
    }

    private struct Waiting {
        var decision: CheckedContinuation<PromptDecision?, Never>?
        var pendingDecision: PromptDecision?
        var submitted = false
        /// An app's decision was taken (for the history's channel).
        var decidedByApp = false
        var resolutionWaiters: [@Sendable (AnswerEnding) -> Void] = []
    }

    private struct State {
        var profiles: [String: ProfileEntry] = [:]
        var open: [String: OpenChallenge] = [:]
        var order: [String] = []
        var answers: [String: Waiting] = [:]
        var listener: (@Sendable (Event) -> Void)?
    }
    private let state = Locked(State())

    /// Woken by ``pollNow()``: every profile polls at once.
    public let pollNowSignal = ResumeSignal()

    /// Asks to show a challenge again (``showAgain(_:)``), heard by the prompt that is up for it.
    let showAgainRequests = ShowAgainRequests()

    public init() {}

    /// The bus service's ear: called for each event, on the thread that caused it.
    public func listen(_ listener: @escaping @Sendable (Event) -> Void) {
        state.withLock { $0.listener = listener }
    }

    public func profiles() -> [ProfileEntry] {
        state.withLock { $0.profiles.values.sorted { $0.name < $1.name } }
    }

    public func openChallenges() -> [OpenChallenge] {
        state.withLock { state in state.order.compactMap { state.open[$0] } }
    }

    public func pollNow() {
        pollNowSignal.fire()
    }

    // MARK: Written by the pollers

    func setProfile(_ entry: ProfileEntry) {
        let listener = state.withLock { state -> (@Sendable (Event) -> Void)? in
            guard state.profiles[entry.name] != entry else { return nil }
            state.profiles[entry.name] = entry
            return state.listener
        }
        listener?(.profilesChanged)
    }

    func removeProfile(_ name: String) {
        let listener = state.withLock { state -> (@Sendable (Event) -> Void)? in
            guard state.profiles.removeValue(forKey: name) != nil else { return nil }
            return state.listener
        }
        listener?(.profilesChanged)
    }

    func opened(_ open: OpenChallenge) {
        let id = open.challenge.challengeId
        let listener = state.withLock { state in
            if state.open[id] == nil { state.order.append(id) }
            state.open[id] = open
            state.answers[id] = Waiting()
            return state.listener
        }
        listener?(.challengeReceived(open))
    }

    /// The prompt of `challengeId` is gone, for `resolution`; an app waiting on its answer learns how.
    /// Returns whether the decision came from an app.
    @discardableResult
    func closed(_ challengeId: String, resolution: Resolution, notSent: AnswerNotSent? = nil) -> Bool {
        let (open, waiting, listener) = state.withLock { state in
            state.order.removeAll { $0 == challengeId }
            return (
                state.open.removeValue(forKey: challengeId), state.answers.removeValue(forKey: challengeId),
                state.listener
            )
        }
        waiting?.decision?.resume(returning: nil)
        showAgainRequests.forget(challengeId)
        let ending = AnswerEnding(resolution: resolution, notSent: resolution == .unanswered ? notSent : nil)
        for waiter in waiting?.resolutionWaiters ?? [] { waiter(ending) }
        if let open { listener?(.challengeResolved(challengeId: challengeId, profile: open.profile, resolution)) }
        return waiting?.decidedByApp ?? false
    }

    /// An app's decision for `challengeId`, once one is sent; nil when cancelled (the prompt answered first).
    func appDecision(for challengeId: String) async -> PromptDecision? {
        let decision = await waitForAppDecision(challengeId)
        if decision != nil { state.withLock { $0.answers[challengeId]?.decidedByApp = true } }
        return decision
    }

    /// The decision on open challenge `challengeId` came from the app registered as prompter.
    func decidedByAppPrompter(_ challengeId: String) {
        state.withLock { $0.answers[challengeId]?.decidedByApp = true }
    }

    /// Whether the decision on open challenge `challengeId` came from an app.
    func isDecidedByApp(_ challengeId: String) -> Bool {
        state.withLock { $0.answers[challengeId]?.decidedByApp ?? false }
    }

    private func waitForAppDecision(_ challengeId: String) async -> PromptDecision? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<PromptDecision?, Never>) in
                let ready = state.withLock { state -> PromptDecision?? in
                    guard var waiting = state.answers[challengeId], !Task.isCancelled else { return .some(nil) }
                    if let decision = waiting.pendingDecision { return .some(decision) }
                    waiting.decision = continuation
                    state.answers[challengeId] = waiting
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<PromptDecision?, Never>? in
                defer { state.answers[challengeId]?.decision = nil }
                return state.answers[challengeId]?.decision
            }
            waiter?.resume(returning: nil)
        }
    }

    // MARK: Called by apps (through the bus service)

    /// Answers an open challenge as its prompt would, and returns how it ended (approved, denied, refused
    /// by the server, withdrawn meanwhile, or unanswered when e.g. the PIN was not given, and why).
    public func answer(_ challengeId: String, decision: PromptDecision) async throws(AnswerRefusal) -> AnswerEnding {
        let outcome = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<AnswerEnding, AnswerRefusal>, Never>) in
            let (refusal, decisionWaiter) = state.withLock {
                state -> (AnswerRefusal?, CheckedContinuation<PromptDecision?, Never>?) in
                guard let open = state.open[challengeId], var waiting = state.answers[challengeId], !waiting.submitted
                else { return (.challengeGone, nil) }
                if open.heldByGuard { return (.heldByGuard, nil) }
                if case .approve(let code) = decision, open.needsVerificationCode, (code ?? "").isEmpty {
                    return (.codeRequired, nil)
                }
                waiting.submitted = true
                waiting.resolutionWaiters.append { continuation.resume(returning: .success($0)) }
                let waiter = waiting.decision
                waiting.decision = nil
                if waiter == nil { waiting.pendingDecision = decision }
                state.answers[challengeId] = waiting
                return (nil, waiter)
            }
            if let refusal { continuation.resume(returning: .failure(refusal)) }
            decisionWaiter?.resume(returning: decision)
        }
        switch outcome {
        case .failure(let refusal): throw refusal
        case .success(let ending): return ending
        }
    }
}
