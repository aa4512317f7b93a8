import DeviceCredentialLocking

/// A one-shot signal: the poller fires it when a shown challenge is no longer pending, and the prompt
/// waiting on it is taken away; the agent uses it to stop a profile's poller and to learn it ended.
final class Withdrawal: Sendable {
    private struct State {
        var fired = false
        var noLongerPending = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Locked(State())

    /// Whether ``fire()`` was called.
    var hasFired: Bool { state.withLock { $0.fired } }

    /// Whether it fired because a poll found the challenge no longer pending (answered elsewhere or
    /// expired), for the history; otherwise the agent took it away (a newer challenge, a profile gone).
    var firedAsNoLongerPending: Bool { state.withLock { $0.noLongerPending } }

    /// Fires the signal; later and current waits return.
    func fire(noLongerPending: Bool = false) {
        let waiters = state.withLock { state in
            if !state.fired { state.noLongerPending = noLongerPending }
            state.fired = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once fired, or when the task is cancelled.
    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state in
                    if state.fired || Task.isCancelled { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            // Wakes this waiter (and any other): a cancelled wait must not hang.
            let waiters = state.withLock { state in
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }
}
