import DeviceCredential

/// When to poll next: the interval with jitter while things work, exponential back-off (capped) while
/// the service fails, and never sooner than a 429's `Retry-After`.
public struct PollSchedule: Sendable {
    /// The normal delay between polls.
    public var interval: Duration
    /// Each delay is moved by up to this fraction either way, so many agents do not poll in step.
    public var jitter: Double
    /// The longest back-off after repeated failures.
    public var maximumBackoff: Duration
    private var consecutiveFailures = 0

    /// Creates a schedule.
    public init(
        interval: Duration = .seconds(5), jitter: Double = 0.1, maximumBackoff: Duration = .seconds(60)
    ) {
        self.interval = interval
        self.jitter = jitter
        self.maximumBackoff = max(maximumBackoff, interval)
    }

    /// Failures in a row so far.
    public var failures: Int { consecutiveFailures }

    /// The delay after a poll that worked.
    public mutating func afterSuccess() -> Duration {
        consecutiveFailures = 0
        return jittered(interval)
    }

    /// The delay after a failed poll: interval × 2^failures, capped, and at least `retryAfter`, which is
    /// cut to the library's one cap on `Retry-After` (an hour, `RetryAfter.limit`): the client has already
    /// cut what the server sent, this also bounds an error made by hand.
    public mutating func afterFailure(retryAfter: Duration? = nil) -> Duration {
        consecutiveFailures += 1
        let factor = 1 << min(consecutiveFailures, 16)
        let backoff = min(interval * factor, maximumBackoff)
        let delay = jittered(backoff)
        guard let retryAfter else { return delay }
        return max(delay, min(retryAfter, RetryAfter.limit))
    }

    /// Forgets the failures, e.g. after a resume from suspend (the network may well be back).
    public mutating func reset() {
        consecutiveFailures = 0
    }

    private func jittered(_ delay: Duration) -> Duration {
        guard jitter > 0 else { return delay }
        return delay * Double.random(in: (1 - jitter)...(1 + jitter))
    }
}
