import ArgumentParser
import Logging

/// What a command runs with: where output goes, and the logger the library receives.
struct CommandContext: Sendable {
    let console: Console
    let logger: Logger
}

/// A `devicecred` subcommand. ``DevicecredCommand/main(arguments:)`` parses it, then calls ``execute(in:)``
/// and turns what it throws into the documented exit status, so no command prints its own errors or picks
/// its own numbers.
protocol DevicecredSubcommand: AsyncParsableCommand {
    var output: OutputOptions { get }
    func execute(in context: CommandContext) async throws
}

extension DevicecredSubcommand {
    /// Lets the command also run through ArgumentParser's own `main()`; devicecred's main uses
    /// ``DevicecredCommand/main(arguments:)``.
    mutating func run() async throws {
        let status = await DevicecredCommand.execute(self)
        if status != .success { throw ExitCode(status.code) }
    }
}
