import DeviceCredentialLocking

/// `ShowChallenge` asks, per challenge: the prompt that is up (or was dismissed) for that challenge
/// is shown again by the current prompter (``PromptRouter``).
public final class ShowAgainRequests: Sendable {
    private struct State {
        var counts: [String: Int] = [:]
        var waiters: [Int: (challengeId: String, continuation: CheckedContinuation<Void, Never>)] = [:]
        var nextWaiter = 0
    }
    private let state = Locked(State())

    init() {}

    /// How many times `challengeId` was asked for: a wait started at this count ends at the next ask.
    func count(for challengeId: String) -> Int {
        state.withLock { $0.counts[challengeId] ?? 0 }
    }

    func request(_ challengeId: String) {
        let woken = state.withLock { state in
            state.counts[challengeId, default: 0] += 1
            let ids = state.waiters.filter { $0.value.challengeId == challengeId }.map(\.key)
            return ids.compactMap { state.waiters.removeValue(forKey: $0)?.continuation }
        }
        for continuation in woken { continuation.resume() }
    }

    /// The challenge is closed: its count is dropped.
    func forget(_ challengeId: String) {
        _ = state.withLock { $0.counts.removeValue(forKey: challengeId) }
    }

    /// Returns once `challengeId` is asked for after `seen` asks, or when the task is cancelled.
    func wait(for challengeId: String, after seen: Int) async {
        let id = state.withLock { state -> Int in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state in
                    if (state.counts[challengeId] ?? 0) > seen || Task.isCancelled { return true }
                    state.waiters[id] = (challengeId, continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume()
        }
    }
}
