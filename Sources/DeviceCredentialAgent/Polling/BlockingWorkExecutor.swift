import Dispatch

/// Runs a task's work on a serial Dispatch queue of its own instead of Swift's cooperative pool.
///
/// The key stores and the TPM block their thread (libsecret's D-Bus calls, the TPM's process-wide
/// mutex, fsync). The cooperative pool has one thread per core, two on a small machine, so two slow
/// keyring calls there would stall every other profile's poll and every prompt. A serial queue gets a
/// Dispatch worker of its own, and Dispatch adds workers while others block.
final class BlockingWorkExecutor: TaskExecutor {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    /// Runs `work` here: its nonisolated code, and every blocking call in it, off the cooperative pool.
    func run<T, Failure: Error>(_ work: () async throws(Failure) -> T) async throws(Failure) -> T {
        try await withTaskExecutorPreference(self, operation: work)
    }
}
