import ArgumentParser
import DeviceCredential
import Logging

/// Runs `devicecred`: parses the command line, runs the command, reports failures, and returns the
/// documented exit status (ArgumentParser's own usage status, 64, becomes 2 here).
public enum DevicecredTool {
    /// Runs with `arguments` (without the program name) and returns the exit status.
    public static func main(arguments: [String]) async -> Int32 {
        let command: any ParsableCommand
        do {
            command = try await Devicecred.asyncParseAsRoot(arguments)
        } catch {
            return reportParsingError(error, isJSON: arguments.contains("--json")).code
        }
        guard let devicecredCommand = command as? any DevicecredCommand else {
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
    static func execute(_ command: some DevicecredCommand) async -> DevicecredExitStatus {
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
        let exitCode = Devicecred.exitCode(for: error)
        if exitCode == .success {
            StandardStream.output.write(Devicecred.fullMessage(for: error) + "\n")
            return .success
        }
        let status: DevicecredExitStatus =
            exitCode == .validationFailure ? .usage : DevicecredExitStatus(exitCode.rawValue, "")
        if isJSON {
            let failure = CommandFailure(code: "usage", message: Devicecred.message(for: error), status: status)
            StandardStream.output.write(JSONRendering.render(Documents.error(failure)) + "\n")
        }
        StandardStream.error.write(Devicecred.fullMessage(for: error) + "\n")
        return status
    }

    private static func bootstrapLogging(verbose: Bool) {
        LoggingSystem.bootstrap { label in
            var handler = DisplayTextLogHandler(wrapping: StreamLogHandler.standardError(label: label))
            handler.logLevel = verbose ? .debug : .warning
            return handler
        }
    }
}
