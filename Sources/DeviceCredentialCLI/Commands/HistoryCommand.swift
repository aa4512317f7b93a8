import ArgumentParser
import DeviceCredential
import FoundationEssentials

/// `devicecred history`: what became of the challenges this device saw, newest last.
struct HistoryCommand: DevicecredSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show the challenges this device saw and what became of them (newest last).",
        discussion: """
            Reads $XDG_STATE_HOME/devicecred/history.jsonl (and the rotated history.jsonl.1), written by the \
            agent and by approve and deny: the time, profile, outcome (approved, refused, denied, reported, \
            dismissed, expired, withdrawn, answeredElsewhere, suppressedByGuard), channel (notification, \
            terminal, command, cli, dbusApp), action, IP address and browser. With --json: one JSON array of \
            the entries, oldest first. A line that does not parse is skipped and counted on standard error.
            """)

    @Option(help: ArgumentHelp("Only this profile's entries (default: every profile).", valueName: "name"))
    var profile: String?

    @Option(help: ArgumentHelp("Only entries this recent: 30m, 24h, 7d, 90s.", valueName: "duration"))
    var since: HistoryDuration?

    @OptionGroup var detailOptions: DetailOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let profile {
            do {
                try DeviceProfile.validate(name: profile)
            } catch let error as DeviceCredentialError {
                throw ValidationError(error.message)
            }
        }
    }

    func execute(in context: CommandContext) async throws {
        let reading: ChallengeHistory.Reading
        do {
            reading = try ChallengeHistory.standard().read()
        } catch let error as DeviceCredentialError {
            throw CommandFailure(code: error.code.rawValue, message: error.message, status: .failure)
        }
        if reading.skippedLines > 0 {
            context.console.message("skipped \(reading.skippedLines) unreadable line(s) of the history")
        }
        let now = Date()
        let cutoff = since.map { now.addingTimeInterval(-$0.seconds) }
        let entries = reading.entries.filter { entry in
            (profile == nil || entry.profile == profile) && (cutoff.map { entry.time >= $0 } ?? true)
        }
        context.console.result(
            .array(entries.map(HistoryText.document)),
            human: HistoryText.table(
                entries, now: now, fullUserAgent: detailOptions.full, hadAny: !reading.entries.isEmpty))
    }
}

/// `--since`: a number and a unit (s, m, h, d), e.g. 30m, 24h, 7d.
struct HistoryDuration: ExpressibleByArgument {
    let seconds: Double

    init?(argument: String) {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let unit = argument.last.flatMap({ units[$0] }), let count = Int(argument.dropLast()), count > 0,
            count <= 100_000
        else { return nil }
        seconds = Double(count) * unit
    }
}
