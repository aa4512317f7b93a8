import ArgumentParser
import Logging

/// What a command runs with: where output goes, and the logger the library receives.
struct CommandContext: Sendable {
    let console: Console
    let logger: Logger
}

/// A `devicecred` subcommand. ``DevicecredTool`` parses it, then calls ``execute(in:)`` and turns what it
/// throws into the documented exit status, so no command prints its own errors or picks its own numbers.
protocol DevicecredCommand: AsyncParsableCommand {
    var output: OutputOptions { get }
    func execute(in context: CommandContext) async throws
}

extension DevicecredCommand {
    /// Lets the command also run through ArgumentParser's own `main()`; devicecred's main uses ``DevicecredTool``.
    mutating func run() async throws {
        let status = await DevicecredTool.execute(self)
        if status != .success { throw ExitCode(status.code) }
    }
}
