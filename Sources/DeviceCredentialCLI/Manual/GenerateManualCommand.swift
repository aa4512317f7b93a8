import ArgumentParser

/// `devicecred generate-manual` (hidden): prints the devicecred(1) man page, rendered from the command
/// tree, so the page never drifts from the options. Tests/scripts/generate-cli-extras.sh calls it.
struct GenerateManualCommand: DevicecredSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-manual", abstract: "Print the devicecred(1) man page (roff).", shouldDisplay: false)

    @OptionGroup var output: OutputOptions

    func execute(in context: CommandContext) async throws {
        StandardStream.output.write(try ManualPage.render(toolInfoJSON: ToolDescription.json()))
    }
}
