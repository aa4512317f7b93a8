import DeviceCredential
public import Logging

/// Asks a command: runs `/bin/sh -c COMMAND` with the challenge as JSON on standard input.
/// Exit status 0 approves, 1 denies, anything else (or a signal) leaves the challenge unanswered.
/// The first line of standard output, when there is one, is the number-matching code; a first line
/// `report` with exit status 0 or 1 is "This wasn't me" (deny and report).
public struct CommandPrompter: ChallengePrompter {
    /// The shell command.
    public var command: String
    let logger: Logger

    /// Creates a prompter that runs `command` through `/bin/sh -c`.
    public init(command: String, logger: Logger) {
        self.command = command
        self.logger = logger
    }

    public func prompt(_ request: PromptRequest) async throws -> PromptDecision {
        let process = ChildProcess(
            executable: "/bin/sh", arguments: ["-c", command], input: ChallengeText.json(for: request))
        let result = try await process.run()
        let firstLine = Self.firstLine(of: result.output)
        if firstLine == Self.reportLine, result.exitStatus == 0 || result.exitStatus == 1 { return .report }
        switch result.exitStatus {
        case 0:
            return .approve(verificationCode: firstLine)
        case 1:
            return .deny
        default:
            logger.notice(
                "prompt command left the challenge unanswered",
                metadata: ["exitStatus": "\(result.exitStatus.map(String.init) ?? "signal")"])
            return .unanswered
        }
    }

    /// The first line that answers "This wasn't me".
    public static let reportLine = "report"

    /// The first line, trimmed; nil when empty.
    package static func firstLine(of output: [UInt8]) -> String? {
        let line = String(decoding: output.prefix { $0 != 0x0A }, as: UTF8.self)
        let trimmed = line.trimmingWhitespace()
        return trimmed.isEmpty ? nil : trimmed
    }
}
