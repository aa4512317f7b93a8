/// Runs work until it is withdrawn: a prompt until its challenge is answered elsewhere (`withdrawal`
/// fires) or expires (`deadline`), a profile's poller until the profile goes. The decision prompt and the
/// PIN prompts after it run under the same value, so either is taken away the same way.
struct UntilWithdrawn: Sendable {
    var withdrawal: Withdrawal
    /// When the challenge expires, when the service said.
    var deadline: ContinuousClock.Instant?

    /// What `work` returned, or nil when it was withdrawn first (its task is then cancelled, and has
    /// ended when this returns) or the calling task was cancelled.
    func run<T: Sendable>(_ work: @escaping @Sendable () async -> T?) async -> T? {
        await withTaskGroup(of: T?.self) { race in
            race.addTask { await work() }
            race.addTask {
                await withdrawal.wait()
                return nil
            }
            if let deadline {
                race.addTask {
                    try? await Task.sleep(until: deadline, clock: .continuous)
                    return nil
                }
            }
            let first = await race.next() ?? nil
            race.cancelAll()
            return first
        }
    }
}
