public import ArgumentParser
import DeviceCredential

/// The root of the `devicecred` command tree; its entry point is ``main(arguments:)``.
public struct DevicecredCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "devicecred",
        abstract: "Approve and deny push sign-in challenges from this Linux machine.",
        discussion: """
            Enroll this machine once with a token from your backend, then see and answer the sign-in \
            challenges sent to it. Each profile is one enrollment (API URL, tenant, user, key); --profile \
            picks one (default: default). Exit statuses are documented in devicecred(1) and Docs/cli.md.
            """,
        version: DeviceCredentialVersion.string,
        subcommands: [
            EnrollCommand.self, StatusCommand.self, ChallengeCommand.self, ApproveCommand.self, DenyCommand.self,
            RefreshCommand.self, RemoveCommand.self, ProfilesCommand.self, ProfileCommand.self, DoctorCommand.self,
            OpenCommand.self, ClaimCommand.self, VerifyCommand.self, HistoryCommand.self,
            GenerateManualCommand.self,
        ])

    public init() {}
}
