/// Races a prompt against the challenge going away: answered elsewhere (`withdrawal` fires) or
/// expired (`deadline`). The decision prompt and the PIN prompts after it run in the same race, so
/// either is taken away the same way.
struct PromptRace: Sendable {
    var withdrawal: Withdrawal
    /// When the challenge expires, when the service said.
    var deadline: ContinuousClock.Instant?

    /// What `prompt` returned, or nil when the challenge went away first (the prompt's task is then
    /// cancelled) or the calling task was cancelled.
    func run<T: Sendable>(_ prompt: @escaping @Sendable () async -> T?) async -> T? {
        await withTaskGroup(of: T?.self) { race in
            race.addTask { await prompt() }
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
