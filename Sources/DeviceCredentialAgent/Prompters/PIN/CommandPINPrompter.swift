import DeviceCredential
public import Logging

/// Asks a command for the PIN: runs `/bin/sh -c COMMAND` with the challenge as JSON on standard input
/// and the prompt text in `DEVICECRED_PIN_PROMPT`. Exit status 0 with a first line of output gives the
/// PIN; anything else is a cancellation. Fits `ssh-askpass "$DEVICECRED_PIN_PROMPT"`,
/// `zenity --password --title="$DEVICECRED_PIN_PROMPT"` or `systemd-ask-password "$DEVICECRED_PIN_PROMPT"`.
public struct CommandPINPrompter: PINPrompter {
    /// The environment variable that holds the prompt text.
    public static let promptVariable = "DEVICECRED_PIN_PROMPT"

    /// The shell command.
    public var command: String
    private let logger: Logger

    /// Creates a prompter that runs `command` through `/bin/sh -c`.
    public init(command: String, logger: Logger) {
        self.command = command
        self.logger = logger
    }

    public func askPIN(_ request: PINRequest) async throws -> String? {
        let process = ChildProcess(
            executable: "/bin/sh", arguments: ["-c", command], input: ChallengeText.json(for: request.challenge),
            environment: [Self.promptVariable: request.fullPrompt])
        logger.debug("PIN prompt shown", metadata: ["prompter": "command", "attempt": "\(request.attempt)"])
        var result = try await process.run()
        defer { result.output.wipe() }
        guard result.exitStatus == 0 else {
            logger.notice(
                "PIN command gave no PIN",
                metadata: ["exitStatus": "\(result.exitStatus.map(String.init) ?? "signal")"])
            return nil
        }
        let line = result.output.prefix { $0 != 0x0A }
        let pin = String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
        return pin.isEmpty ? nil : pin
    }
}
