import ArgumentParser
import DeviceCredential

/// `devicecred doctor`: why no prompt appears. One line per check, OK / INFO / WARN / FAIL, with the fix.
struct DoctorCommand: DevicecredSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the session bus, keyring, notification server, TPM, each profile's server and the agent.",
        discussion: """
            Each check says OK, INFO, WARN or FAIL and, when not OK, the command or setting that fixes it. \
            Exits 0 when no check fails, 14 when one does.
            """)

    @Option(help: ArgumentHelp("Check only this profile (default: every enrolled profile).", valueName: "name"))
    var profile: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard let profile else { return }
        do {
            try DeviceProfile.validate(name: profile)
        } catch let error as DeviceCredentialError {
            throw ValidationError(error.message)
        }
    }

    func execute(in context: CommandContext) async throws {
        let report = await Doctor(profileName: profile, logger: context.logger).run()
        context.console.result(report.document, human: report.humanText)
        if !report.isOK { throw ReportedFailure(status: .doctorFoundFailure) }
    }
}
