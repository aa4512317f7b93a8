import ArgumentParser
import DeviceCredential
import Logging

/// Runs `devicecred`: parses the command line, runs the command, reports failures, and returns the
/// documented exit status (ArgumentParser's own usage status, 64, becomes 2 here).
extension DevicecredCommand {
    /// Runs with `arguments` (without the program name) and returns the exit status.
    public static func main(arguments: [String]) async -> Int32 {
        let command: any ParsableCommand
        do {
            command = try await asyncParseAsRoot(arguments)
        } catch {
            return reportParsingError(error, isJSON: arguments.contains("--json")).code
        }
        guard let devicecredCommand = command as? any DevicecredSubcommand else {
            // Help, version, completion scripts: ArgumentParser's own commands.
            do {
                var builtIn = command
                try builtIn.run()
                return DevicecredExitStatus.success.code
            } catch {
                return reportParsingError(error, isJSON: false).code
            }
        }
        bootstrapLogging(verbose: devicecredCommand.output.verbose)
        return await execute(devicecredCommand).code
    }

    /// Runs a parsed command and maps what it throws to an exit status.
    static func execute(_ command: some DevicecredSubcommand) async -> DevicecredExitStatus {
        let console = Console(isJSON: command.output.json)
        let context = CommandContext(console: console, logger: Logger(label: "devicecred"))
        do {
            try await command.execute(in: context)
            return .success
        } catch let reported as ReportedFailure {
            return reported.status
        } catch {
            let failure = CommandFailure.from(error)
            console.report(failure)
            return failure.status
        }
    }

    private static func reportParsingError(_ error: any Error, isJSON: Bool) -> DevicecredExitStatus {
        let code = exitCode(for: error)
        if code == .success {
            StandardStream.output.write(fullMessage(for: error) + "\n")
            return .success
        }
        let status: DevicecredExitStatus =
            code == .validationFailure ? .usage : DevicecredExitStatus(code.rawValue, "")
        if isJSON {
            let failure = CommandFailure(code: "usage", message: message(for: error), status: status)
            StandardStream.output.write(JSONRendering.render(Documents.error(failure)) + "\n")
        }
        StandardStream.error.write(usageMessage(for: error) + "\n")
        return status
    }

    /// ArgumentParser's whole message for a usage error (the error, help, usage), begun like every other
    /// failure devicecred reports: `devicecred: ...`. ArgumentParser begins it with its default label,
    /// `Error: `, which only the experimental `_errorPrefix` changes; the label is replaced here instead.
    static func usageMessage(for error: any Error) -> String {
        let message = fullMessage(for: error)
        let defaultLabel = "Error: "
        guard message.hasPrefix(defaultLabel) else { return message }
        return "devicecred: " + message.dropFirst(defaultLabel.count)
    }

    private static func bootstrapLogging(verbose: Bool) {
        LoggingSystem.bootstrap { label in
            var handler = DisplayTextLogHandler(wrapping: StreamLogHandler.standardError(label: label))
            handler.logLevel = verbose ? .debug : .warning
            return handler
        }
    }
}
