import DeviceCredentialLocking

/// What the notification server said about one of our notifications.
enum NotificationEvent: Sendable, Equatable {
    /// The person clicked an action button (its key, e.g. `approve`).
    case action(String)
    /// The notification went away without an action (dismissed, expired, closed by us).
    case closed
    /// We stopped waiting (the challenge was withdrawn).
    case withdrawn
    /// The notification server that showed it quit or was replaced: the notification is gone with it.
    case serverGone
}

/// Hands notification signals, which arrive on GDBus's worker thread in the order the bus sent them, to
/// the tasks waiting for them, and decides which signals to believe.
///
/// Anyone on the session bus can emit `ActionInvoked(id, "approve")`, and servers number their
/// notifications in sequence, so a signal counts only when it comes from the current owner of
/// `org.freedesktop.Notifications` (a unique name like `:1.42`, followed through `NameOwnerChanged`)
/// and is about an id that owner returned to one of our `Notify` calls. A new owner starts from
/// nothing: a restarted server reuses ids, and nothing it did before applies to what it shows next.
final class NotificationEventRouter: Sendable {
    private struct State {
        /// The unique name owning the notification service; nil when none does.
        var owner: String?
        /// A `NameOwnerChanged` was seen: it is as new as the start-up `GetNameOwner` answer, or newer.
        var ownerFromSignal = false
        /// Ids the current owner gave us, each with its first event if it came before anyone waited.
        var given: [UInt32: NotificationEvent?] = [:]
        var waiting: [UInt32: CheckedContinuation<NotificationEvent, Never>] = [:]
        var ownerWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID = 0

        mutating func takeOwnerWaiters() -> [CheckedContinuation<Void, Never>] {
            defer { ownerWaiters = [:] }
            return Array(ownerWaiters.values)
        }
    }
    private let state = Locked(State())

    /// The unique name of the current notification server, if one runs.
    var owner: String? { state.withLock { $0.owner } }

    /// The owner as `GetNameOwner` answered at start-up; ignored when a `NameOwnerChanged` came first,
    /// since the signal is at least as new as the answer (the bus sends both in order).
    func adoptInitialOwner(_ owner: String?) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.ownerFromSignal else { return [] }
            state.owner = owner
            return owner == nil ? [] : state.takeOwnerWaiters()
        }
        for waiter in waiters { waiter.resume() }
    }

    /// `NameOwnerChanged` for the notification service, from the bus itself: everything about the old
    /// owner's notifications is forgotten, and whoever waited on one learns it is gone.
    func ownerChanged(to newOwner: String?) {
        let (stale, waiters) = state.withLock {
            state -> ([CheckedContinuation<NotificationEvent, Never>], [CheckedContinuation<Void, Never>]) in
            state.ownerFromSignal = true
            state.owner = newOwner
            state.given = [:]
            let stale = Array(state.waiting.values)
            state.waiting = [:]
            return (stale, newOwner == nil ? [] : state.takeOwnerWaiters())
        }
        for waiter in stale { waiter.resume(returning: .serverGone) }
        for waiter in waiters { waiter.resume() }
    }

    /// A `Notify` reply (one `u`) from `sender`: the id is ours when the current owner sent it.
    func notificationGiven(_ id: UInt32, by sender: String) {
        state.withLock { state in
            guard sender == state.owner, state.given[id] == nil else { return }
            state.given[id] = .some(nil)
        }
    }

    /// A signal about notification `id` from `sender`; dropped unless the current owner gave us that id.
    func deliver(_ event: NotificationEvent, for id: UInt32, from sender: String) {
        let waiter = state.withLock { state -> CheckedContinuation<NotificationEvent, Never>? in
            guard sender == state.owner, let early = state.given[id] else { return nil }
            if let waiter = state.waiting.removeValue(forKey: id) { return waiter }
            // The first event wins: a click is followed by the close that it caused.
            if early == nil { state.given[id] = .some(event) }
            return nil
        }
        waiter?.resume(returning: event)
    }

    /// Waits for the first event about our notification `id`: ``NotificationEvent/withdrawn`` on
    /// cancellation, ``NotificationEvent/serverGone`` when the server that gave the id is no longer
    /// the owner. The id is forgotten afterwards, so later signals about it are dropped.
    func nextEvent(for id: UInt32) async -> NotificationEvent {
        let event = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> NotificationEvent? in
                    guard let early = state.given[id] else { return .serverGone }
                    if let early { return early }
                    if Task.isCancelled { return .withdrawn }
                    state.waiting[id] = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiting.removeValue(forKey: id) }
            waiter?.resume(returning: .withdrawn)
        }
        state.withLock { _ = $0.given.removeValue(forKey: id) }
        return event
    }

    /// Returns once a notification server owns the name (at once if one does), or when the task is cancelled.
    func waitForOwner() async {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state in
                    if state.owner != nil || Task.isCancelled { return true }
                    state.ownerWaiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.ownerWaiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
