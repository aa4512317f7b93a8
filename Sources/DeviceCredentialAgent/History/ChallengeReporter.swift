public import DeviceCredential
import FoundationEssentials
public import Logging

/// "This wasn't me", as the agent carries it out once a challenge is reported: a structured journal
/// entry (``ChallengeReport``) and the `--report-command`, which gets the challenge as JSON on standard
/// input (the command prompter's document). Failures are logged; none stops the denial.
public struct ChallengeReporter: Sendable {
    /// Where the entry goes; nil writes none.
    public var journal: JournalSocket?
    /// A shell command run with `/bin/sh -c`; nil runs none.
    public var command: String?
    private let logger: Logger

    public init(journal: JournalSocket?, command: String?, logger: Logger) {
        self.journal = journal
        self.command = command.flatMap { $0.isEmpty ? nil : $0 }
        self.logger = logger
    }

    /// Reports `request`'s challenge, answered through `channel`; `denied` tells whether the denial was sent.
    public func report(_ request: PromptRequest, channel: HistoryChannel, denied: Bool) async {
        if let journal {
            do {
                try journal.send(
                    ChallengeReport.journalEntry(
                        for: request.challenge, profile: request.profileName, channel: channel, denied: denied))
                logger.notice("reported to the journal as not mine", metadata: ["denied": "\(denied)"])
            } catch {
                logger.warning("cannot write the report to the journal", metadata: ["error": "\(error)"])
            }
        }
        guard let command else { return }
        let process = ChildProcess(
            executable: "/bin/sh", arguments: ["-c", command], input: ChallengeText.json(for: request))
        do {
            let result = try await process.run()
            if result.exitStatus == 0 {
                logger.info("the report command ran")
            } else {
                logger.warning(
                    "the report command failed",
                    metadata: ["exitStatus": "\(result.exitStatus.map(String.init) ?? "signal")"])
            }
        } catch {
            logger.warning("cannot run the report command", metadata: ["error": "\(error)"])
        }
    }
}
