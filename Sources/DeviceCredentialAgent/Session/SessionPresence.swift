import DeviceCredentialLocking

/// Whether a person can see a prompt now: the agent's login session is in the foreground of its seat
/// (`Active`) and its screen is not locked (`LockedHint`). logind feeds it (``LoginSessionMonitor``);
/// without logind it stays present, as the agent was before it knew about sessions.
///
/// Only prompting waits for presence. Polling goes on, so a challenge that arrives while the screen is
/// locked is fetched, waits, and is shown on unlock if it is still pending; one answered elsewhere or
/// expired meanwhile is withdrawn before anyone saw it.
public final class SessionPresence: Sendable {
    /// What logind last said about the session.
    public struct State: Equatable, Sendable {
        public var active: Bool
        public var locked: Bool

        public init(active: Bool, locked: Bool) {
            self.active = active
            self.locked = locked
        }

        /// A person at this session can see and answer a prompt.
        public var isPresent: Bool { active && !locked }
    }

    private struct Inner {
        var state: State
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }
    private let inner: Locked<Inner>

    /// Starts in `state`; by default present, which is also what it stays without logind.
    public init(_ state: State = State(active: true, locked: false)) {
        inner = Locked(Inner(state: state))
    }

    public var state: State { inner.withLock { $0.state } }

    /// Records what logind said; wakes the prompts that waited when the session becomes present.
    /// Returns whether anything changed.
    @discardableResult
    public func update(active: Bool? = nil, locked: Bool? = nil) -> Bool {
        let (changed, ready) = inner.withLock { inner -> (Bool, [CheckedContinuation<Void, Never>]) in
            let before = inner.state
            if let active { inner.state.active = active }
            if let locked { inner.state.locked = locked }
            guard inner.state.isPresent else { return (before != inner.state, []) }
            defer { inner.waiters = [:] }
            return (before != inner.state, Array(inner.waiters.values))
        }
        for waiter in ready { waiter.resume() }
        return changed
    }

    /// Returns at once when present, otherwise when the session becomes present or the task is cancelled.
    public func waitUntilPresent() async {
        let id = inner.withLock { inner -> Int in
            defer { inner.nextWaiter += 1 }
            return inner.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = inner.withLock { inner in
                    if inner.state.isPresent || Task.isCancelled { return true }
                    inner.waiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            inner.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
