import ArgumentParser
import DeviceCredential

/// `devicecred profile`: a profile's saved settings.
struct ProfileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Change a profile's saved settings without enrolling again.",
        discussion: """
            devicecred profile set [--profile NAME] [--number-matching on|off] [--device-name NAME] [--json] \
            changes the settings saved at enrollment; the key and the server's credential stay as they are. A \
            running agent picks the change up by itself.
            """,
        subcommands: [ProfileSetCommand.self])
}

/// `devicecred profile set`: changes settings saved in the profile (no keyring, server or key needed).
struct ProfileSetCommand: DevicecredSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Change a profile's saved settings (number matching, device name) without enrolling again.",
        discussion: """
            --number-matching on makes approve (and the agent) ask for the code the sign-in shows: turn it on \
            when the server refuses approvals (isVerified=false) of sign-ins that show a number. --device-name \
            is saved for the next enrollment; the server keeps the name the credential was enrolled with.
            """)

    /// `on` or `off`.
    enum Switch: String, CaseIterable, ExpressibleByArgument {
        case on
        case off
    }

    @Option(
        name: .customLong("number-matching"),
        help: ArgumentHelp("Whether sign-ins for this profile show a code to type when approving.", valueName: "on|off")
    )
    var numberMatching: Switch?

    @Option(
        name: .customLong("device-name"),
        help: ArgumentHelp("The device name to enroll under next time.", valueName: "name"))
    var deviceName: String?

    @Option(help: ArgumentHelp("The profile to change.", valueName: "name"))
    var profile: String = DeviceProfile.defaultName

    @OptionGroup var output: OutputOptions

    func validate() throws {
        do {
            try DeviceProfile.validate(name: profile)
        } catch let error as DeviceCredentialError {
            throw ValidationError(error.message)
        }
        if numberMatching == nil, deviceName == nil {
            throw ValidationError("nothing to change: give --number-matching on|off or --device-name NAME")
        }
        if let deviceName, deviceName.allSatisfy(\.isWhitespace) { throw ValidationError("--device-name is empty") }
    }

    func execute(in context: CommandContext) async throws {
        let store = try ProfileStore.standard()
        guard var changed = try store.profile(named: profile) else {
            throw CommandFailure.notEnrolled(profile: profile)
        }
        if let numberMatching { changed.usesNumberMatching = numberMatching == .on }
        if let deviceName { changed.deviceName = deviceName }
        try store.save(changed)
        var lines = ["profile '\(changed.name)' updated"]
        if let numberMatching { lines.append("number matching: \(numberMatching.rawValue)") }
        if let deviceName {
            lines.append("device name: \(DisplayText.terminal(deviceName)) (used at the next enrollment)")
        }
        context.console.result(Documents.profile(changed), human: lines.joined(separator: "\n"))
    }
}
