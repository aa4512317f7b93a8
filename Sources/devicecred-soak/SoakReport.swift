import Foundation

/// What the soak measured, the summary a person reads, and the invariants it checks.
struct SoakReport {
    var wantedPolls: Int
    var interval: Double
    var profiles: Int
    var seconds: Double
    var board: SoakBoard.State
    var outcomes: [ChallengeDriver.Outcome]
    /// Prompter runs by challenge id (the command appends each id it is given to a file).
    var shown: [String: Int]
    var start: QuietFigures
    var end: QuietFigures
    var exitStatus: Int32?
    /// The sanitizer the agent runs under (`make test-sanitizers` says so in DEVICECRED_SANITIZER), or nil.
    var sanitizer: String?

    /// The polls of the soak proper (under the flapping proxy), and those the agent made in all.
    var soakPolls: Int { (board.soakEnded ?? board.polls) - board.soakBegan }
    /// Memory is compared over windows of this many polls of the soak proper: its first and last thousand
    /// (fewer in a short run). The warm-up before it (the agent's start, its first prompts) is left out.
    var memoryWindow: Int { min(1000, soakPolls / 5) }
    /// The growth limit applies to the full form only: a short run's first window is still warming up.
    var checksMemory: Bool { soakPolls >= 5000 && sanitizer == nil }
    /// Descriptors and threads are left unchecked under a sanitizer: its runtime and the agent's slower pace
    /// move libdispatch's worker pool and the libraries' lazily opened descriptors past the quiet readings
    /// (ThreadSanitizer's run ended with one more epoll and eventfd pair in three of four runs). The other
    /// invariants hold there. Elsewhere the end may not exceed the start: fewer at the end means something
    /// was busy at every reading at the start (a request in flight on a loaded machine), not a leak.
    var checksResources: Bool { sanitizer == nil }
    static let memoryGrowthLimitKB = 1024

    /// Every invariant that failed, as a sentence; empty when the soak passed.
    var violations: [String] {
        var found: [String] = []
        if soakPolls < wantedPolls { found.append("the agent polled \(soakPolls) times, not \(wantedPolls)") }
        let created = Set(outcomes.map(\.challengeId))
        for outcome in outcomes {
            let id = outcome.challengeId
            let times = shown[id, default: 0]
            if times > 1 { found.append("challenge \(id) was shown \(times) times") }
            let answers = board.agentAnswers[id, default: 0] + (outcome.answeredElsewhere ? 1 : 0)
            if answers > 1 { found.append("challenge \(id) was answered \(answers) times") }
            if board.delivered.contains(id) && times == 0 && !outcome.answeredElsewhere {
                found.append("challenge \(id) reached the agent whole but was never shown nor answered elsewhere")
            }
            if !outcome.isConsumed { found.append("challenge \(id) is still pending after it ended") }
        }
        for id in shown.keys where !created.contains(id) { found.append("the prompter was shown unknown \(id)") }
        for mode in FaultMode.faults where !board.injected(mode) {
            found.append("the agent never met a \(mode.rawValue) fault")
        }
        if checksResources && end.descriptors > start.descriptors {
            found.append(
                "open descriptors \(start.descriptors) at start, \(end.descriptors) at end (besides libcurl's pairs); "
                    + "at start: " + start.descriptorTargets.joined(separator: ", ")
                    + "; at end: " + end.descriptorTargets.joined(separator: ", "))
        }
        if checksResources && end.threads > start.threads {
            found.append(
                "threads \(start.threads) at start, \(end.threads) at end (besides idle libdispatch workers); "
                    + "only at the end: "
                    + Self.onlyIn(end.otherThreads, notIn: start.otherThreads).joined(separator: ", "))
        }
        if checksMemory, let growth = memoryGrowthKB, growth >= Self.memoryGrowthLimitKB {
            found.append("resident memory grew \(growth) kB between the first and last \(memoryWindow) polls")
        }
        if exitStatus != 0 {
            found.append("the agent's exit status on SIGTERM was \(exitStatus.map(String.init) ?? "none")")
        }
        return found
    }

    /// Mean resident memory (kB) of the readings in the first and the last window of the soak proper.
    var memory: (first: Int, last: Int)? {
        let (began, ended) = (board.soakBegan, board.soakEnded ?? board.polls)
        guard let first = meanResident(in: began..<began + memoryWindow),
            let last = meanResident(in: ended - memoryWindow..<ended)
        else { return nil }
        return (first, last)
    }

    /// Mean resident memory of each thousand polls of the soak proper, in MB: the shape of any growth.
    var memoryByThousand: [String] {
        stride(from: board.soakBegan, to: board.soakEnded ?? board.polls, by: 1000).compactMap {
            meanResident(in: $0..<$0 + 1000).map { String(format: "%.2f", Double($0) / 1024) }
        }
    }

    private func meanResident(in polls: Range<Int>) -> Int? {
        let readings = board.residentKB.filter { polls.contains($0.polls - 1) }.map(\.kilobytes)
        return readings.isEmpty ? nil : readings.reduce(0, +) / readings.count
    }

    var memoryGrowthKB: Int? { memory.map { $0.last - $0.first } }

    /// The summary, line by line.
    var lines: [String] {
        var lines = [
            "devicecred-soak: \(soakPolls) polls survived under the flapping proxy (\(board.polls) in all; "
                + "\(profiles) profiles, interval \(interval) s, \(Int(seconds)) s)",
            "  polls by outcome: "
                + board.pollOutcomes.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(
                    separator: ", "),
            "  faults injected (periods; requests the proxy answered in them; agent polls that ended in them):",
        ]
        for mode in FaultMode.allCases {
            let requests = mode == .refused ? "-" : "\(board.exchanges[mode, default: 0])"
            lines.append(
                "    \(mode.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0)) "
                    + "\(board.periods[mode, default: 0]) periods, \(requests) requests, "
                    + "\(board.pollsDuring[mode, default: 0]) polls (\(board.failedPollsDuring[mode, default: 0]) failed)"
            )
        }
        let byAgent = outcomes.filter { board.agentAnswers[$0.challengeId] != nil }.count
        let elsewhere = outcomes.filter(\.answeredElsewhere).count
        let expired = outcomes.filter(\.expired)
        let expiredShown = expired.filter { shown[$0.challengeId] != nil }.count
        let shownOnce = outcomes.filter { shown[$0.challengeId] == 1 }.count
        lines += [
            "  challenges: \(outcomes.count) created, \(shownOnce) shown once by the prompter, "
                + "\(byAgent) answered by the agent, \(elsewhere) answered elsewhere, \(expired.count) expired "
                + "(\(expiredShown) shown, then left unanswered or the answer lost to a fault, "
                + "\(expired.count - expiredShown) never reached the agent whole), "
                + "\(outcomes.filter(\.isVerified).count) approved",
            "  agent log: \(board.warnings.count) warnings or errors (each fault's first failure is one)",
        ]
        if let memory {
            lines.append(
                "  resident memory: first \(memoryWindow) polls \(Self.megabytes(memory.first)), last \(memoryWindow) "
                    + "polls \(Self.megabytes(memory.last)) (growth \(memory.last - memory.first) kB"
                    + (checksMemory
                        ? ", limit \(Self.memoryGrowthLimitKB) kB)"
                        : sanitizer.map { "; not checked under \($0))" } ?? "; checked in the full form only)"))
            lines.append("  resident memory by thousand polls (MB): " + memoryByThousand.joined(separator: " "))
        }
        lines.append(
            "  open descriptors: \(start.descriptors) at start, \(end.descriptors) at end, besides libcurl's pooled "
                + "handles' socket pairs (\(start.pooledDescriptors) and \(end.pooledDescriptors) descriptors)")
        if end.descriptors < start.descriptors {
            lines.append(
                "    fewer at the end: open at every reading at the start, so no leak; at the start: "
                    + start.descriptorTargets.joined(separator: ", "))
        }
        lines.append(
            "  threads: \(start.threads) at start, \(end.threads) at end, besides libdispatch's idle workers "
                + "(\(start.idleWorkers) and \(end.idleWorkers))"
                + (checksResources ? "" : "; descriptors and threads not checked under \(sanitizer ?? "a sanitizer")"))
        if end.threads < start.threads {
            lines.append(
                "    fewer at the end: busy at every reading at the start, so no leak: "
                    + Self.onlyIn(start.otherThreads, notIn: end.otherThreads).joined(separator: ", "))
        }
        lines.append("  agent exit status on SIGTERM: \(exitStatus.map(String.init) ?? "none (killed)")")
        return lines
    }

    /// The entries of `list` beyond those of `other`, counting repeats (two threads alike, one of them new),
    /// each once with "×N" when it repeats.
    private static func onlyIn(_ list: [String], notIn other: [String]) -> [String] {
        var remaining = Dictionary(other.map { ($0, 1) }, uniquingKeysWith: +)
        let extra = list.filter { entry in
            guard let count = remaining[entry], count > 0 else { return true }
            remaining[entry] = count - 1
            return false
        }
        return Dictionary(extra.map { ($0, 1) }, uniquingKeysWith: +).sorted { $0.key < $1.key }.map {
            $0.value == 1 ? $0.key : "\($0.key) ×\($0.value)"
        }
    }

    private static func megabytes(_ kilobytes: Int) -> String {
        String(format: "%.1f MB", Double(kilobytes) / 1024)
    }
}
