public import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// How a wait between two polls ended.
public enum PollWait: Sendable, Equatable {
    /// The full delay passed.
    case elapsed
    /// The machine was suspended meanwhile and has just resumed: poll at once.
    case resumed
}

/// Time as the polling loop sees it. Injected so tests drive the loop without waiting real intervals.
public protocol AgentClock: Sendable {
    /// The wall-clock time, to tell how long a challenge has left.
    var now: Date { get }
    /// Waits `delay`, returning early with ``PollWait/resumed`` when the machine resumes from suspend.
    /// Throws `CancellationError` when the task is cancelled.
    func waitBeforeNextPoll(_ delay: Duration) async throws -> PollWait
}

/// The real clock. Suspend is detected by comparing `CLOCK_BOOTTIME` (counts suspended time) with
/// `CLOCK_MONOTONIC` (does not): their difference grows by the length of every suspend. The wait is cut
/// into slices so a resume is noticed within one slice, even during a 60 s back-off.
public struct SystemAgentClock: AgentClock {
    /// The longest sleep before the suspend check runs again.
    public var slice: Duration

    /// Creates the clock; `slice` bounds how late a resume from suspend is noticed.
    public init(slice: Duration = .seconds(5)) {
        self.slice = slice
    }

    public var now: Date { Date() }

    public func waitBeforeNextPoll(_ delay: Duration) async throws -> PollWait {
        var remaining = delay
        while remaining > .zero {
            let step = min(remaining, slice)
            let suspendedBefore = Self.suspendedTime()
            try await Task.sleep(for: step, clock: .suspending)
            // A jump of more than a second cannot be timer slack: the machine slept.
            if Self.suspendedTime() - suspendedBefore > .seconds(1) { return .resumed }
            remaining -= step
        }
        return .elapsed
    }

    /// Total time this machine has spent suspended since boot.
    static func suspendedTime() -> Duration {
        reading(CLOCK_BOOTTIME) - reading(CLOCK_MONOTONIC)
    }

    private static func reading(_ clock: clockid_t) -> Duration {
        var time = timespec()
        clock_gettime(clock, &time)
        return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
    }
}
