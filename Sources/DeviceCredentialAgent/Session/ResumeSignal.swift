import DeviceCredentialLocking
public import FoundationEssentials

/// The machine has just resumed from suspend (logind's `PrepareForSleep(false)`): every poll that
/// waits is woken, so the first poll after a resume is at once instead of after the back-off.
public final class ResumeSignal: Sendable {
    private struct Inner {
        var resumes = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }
    private let inner = Locked(Inner())

    public init() {}

    /// How many resumes were seen: a wait started at `count` ends at the next one.
    public var count: Int { inner.withLock { $0.resumes } }

    public func fire() {
        let waiters = inner.withLock { inner in
            inner.resumes += 1
            defer { inner.waiters = [:] }
            return Array(inner.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the count passes `seen`, or when the task is cancelled.
    public func wait(after seen: Int) async {
        let id = inner.withLock { inner -> Int in
            defer { inner.nextWaiter += 1 }
            return inner.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = inner.withLock { inner in
                    if inner.resumes > seen || Task.isCancelled { return true }
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

/// The clock of an agent that logind tells about suspend: a wait ends at its delay, or at once when
/// the machine resumes, with no periodic clock comparison (``SystemAgentClock`` does that without logind).
public struct ResumeAwareClock: AgentClock {
    public let resumes: ResumeSignal

    public init(resumes: ResumeSignal) {
        self.resumes = resumes
    }

    public var now: Date { Date() }

    public func waitBeforeNextPoll(_ delay: Duration) async throws -> PollWait {
        let seen = resumes.count
        return try await withThrowingTaskGroup(of: PollWait.self) { group in
            group.addTask {
                try await Task.sleep(for: delay, clock: .suspending)
                return .elapsed
            }
            group.addTask {
                await resumes.wait(after: seen)
                try Task.checkCancellation()
                return .resumed
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            return first
        }
    }
}
