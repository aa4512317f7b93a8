import Foundation

/// What the soak has seen so far, written by the proxy's and the agent log's threads and read by the
/// driver; every change wakes the waiters (``wait(timeout:until:)``), so nothing waits by sleeping.
final class SoakBoard: @unchecked Sendable {
    struct State {
        /// The agent's polls, from its "polled" lines, by outcome (idle, pending, or an error code).
        var polls = 0
        /// The polls when the flapping began and when it ended: the soak proper is between.
        var soakBegan = 0
        var soakEnded: Int?
        var pollOutcomes: [String: Int] = [:]
        /// The proxy's mode now, how many periods of each there were, the exchanges each handled, and the
        /// polls that ended during each.
        var mode = FaultMode.passThrough
        var periods: [FaultMode: Int] = [:]
        var exchanges: [FaultMode: Int] = [:]
        var pollsDuring: [FaultMode: Int] = [:]
        var failedPollsDuring: [FaultMode: Int] = [:]
        /// Challenges the server handed to the agent whole through the proxy (it knew of them).
        var delivered: Set<String> = []
        /// Answers the server accepted (200) from the agent through the proxy, by challenge.
        var agentAnswers: [String: Int] = [:]
        /// Challenges the driver answered itself, directly to the server ("answered elsewhere").
        var answeredElsewhere: Set<String> = []
        /// Set when the driver should create no new challenge.
        var stopping = false
        /// Resident memory (kB) every 100 polls; descriptors and threads at quiet polls while sampling.
        var residentKB: [(polls: Int, kilobytes: Int)] = []
        var quietSamples: [QuietFigures]? = nil
        /// Profiles with a request logged and no "polled" line since: their poll (or an answer, or the
        /// keep-alive's call) holds a worker thread and a socket, so no quiet reading is taken meanwhile.
        var busyProfiles: Set<String> = []
        /// The agent's log lines at warning level and above, and its last lines.
        var warnings: [String] = []
        var lastLines: [String] = []
        var agentExited = false

        /// Whether the agent met `mode`: the proxy answered one of its requests so (for a refusing port:
        /// one of its polls failed meanwhile).
        func injected(_ mode: FaultMode) -> Bool {
            mode == .refused ? failedPollsDuring[mode, default: 0] > 0 : exchanges[mode, default: 0] > 0
        }
    }

    private let condition = NSCondition()
    private var state = State()

    /// Reads the state.
    var snapshot: State { update { $0 } }

    /// Changes the state and wakes every waiter.
    @discardableResult
    func update<T>(_ change: (inout State) -> T) -> T {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        return change(&state)
    }

    /// Waits on a thread of its own (not the cooperative pool) until `condition` holds; false when
    /// `timeout` passed first.
    func wait(timeout: Duration, until holds: @escaping @Sendable (State) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds))
        return await withCheckedContinuation { done in
            Thread.detachNewThread { [self] in
                condition.lock()
                defer { condition.unlock() }
                while !holds(state) {
                    guard condition.wait(until: deadline) else {
                        done.resume(returning: holds(state))
                        return
                    }
                }
                done.resume(returning: true)
            }
        }
    }
}

/// The agent's descriptors and threads between two polls, apart from those of pools that grow and shrink
/// by themselves (libcurl's pooled handles, libdispatch's idle workers): a leak raises the others.
struct QuietFigures: Sendable {
    var descriptors: Int
    var pooledDescriptors: Int
    /// What each open descriptor is (``ProcessFigures/descriptorTargets(of:)``).
    var descriptorTargets: [String]
    var threads: Int
    var idleWorkers: Int
    /// What the threads besides the idle workers were doing (``ProcessFigures/threads(of:)``).
    var otherThreads: [String]

    /// The least of each over `samples`: a poll or prompt in progress raises a count, a leak raises the least.
    static func least(of samples: [QuietFigures]) -> QuietFigures? {
        guard let fewestDescriptors = samples.min(by: { $0.descriptors < $1.descriptors }),
            let fewestThreads = samples.min(by: { $0.threads < $1.threads })
        else { return nil }
        return QuietFigures(
            descriptors: fewestDescriptors.descriptors, pooledDescriptors: samples.map(\.pooledDescriptors).min()!,
            descriptorTargets: fewestDescriptors.descriptorTargets,
            threads: fewestThreads.threads, idleWorkers: samples.map(\.idleWorkers).min()!,
            otherThreads: fewestThreads.otherThreads)
    }

    /// Whether it has more of either than `other`: what a leak looks like.
    func exceeds(_ other: QuietFigures) -> Bool { descriptors > other.descriptors || threads > other.threads }
}
