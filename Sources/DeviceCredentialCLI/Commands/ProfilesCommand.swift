import ArgumentParser
import DeviceCredential

/// `devicecred profiles`: the enrolled profiles, from the profile list alone (no keyring or server needed).
struct ProfilesCommand: DevicecredSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles", abstract: "List the enrolled profiles.")

    @OptionGroup var output: OutputOptions

    func execute(in context: CommandContext) async throws {
        let profiles = try ProfileStore.standard().profiles()
        context.console.result(.array(profiles.map(Documents.profile)), human: HumanText.profiles(profiles))
    }
}
