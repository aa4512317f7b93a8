import ArgumentParser
import DeviceCredential
import FoundationEssentials

/// `devicecred open URL`: one-click enrollment from a web page. The desktop entry
/// `devicecred-open.desktop` runs it for `devicecred:` links. The link is read strictly
/// (``EnrollmentLink``), the person is shown who asks and says yes (``LinkConfirmation``), and only then
/// is the machine enrolled, by `enroll`'s own code. There is no option to skip the question.
struct OpenCommand: DevicecredSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Enroll this machine from a devicecred:enroll link, after you confirm who asks.",
        discussion: """
            The link is devicecred:enroll?api=URL&tenant=ID&token=TOKEN, optionally with &profile=NAME \
            (default: default), percent-encoded. It shows the API host, the tenant and the user the token names, \
            and enrolls only on your yes: a notification with Enroll and Cancel when a notification server with \
            buttons runs, else a question on the terminal. It refuses plain http except to this machine, unknown, \
            repeated or missing keys, malformed or expired tokens, and a profile that already exists. The key is \
            kept in the Secret Service keyring.
            """)

    @Argument(help: ArgumentHelp("The devicecred: link, as the web page gave it.", valueName: "url"))
    var url: String

    @OptionGroup var output: OutputOptions

    func execute(in context: CommandContext) async throws {
        let confirmation = LinkConfirmation.current()
        do {
            let link = try EnrollmentLink(url, now: Date())
            try refuseExistingProfile(link.profile)
            try await confirmation.confirm(link, now: Date())
            // Asking took time: another enrollment may have made the profile meanwhile.
            try refuseExistingProfile(link.profile)
            try await Self.enrollCommand(for: link).execute(in: context)
            confirmation.tell(.success(link))
        } catch {
            confirmation.tell(.failure(CommandFailure.from(error, during: .enrollment)))
            throw error
        }
    }

    /// A web page must not replace what this machine already has: refused, with the way to do it on purpose.
    private func refuseExistingProfile(_ name: String) throws {
        guard try ProfileStore.standard().profile(named: name) != nil else { return }
        throw CommandFailure(
            code: "profile_exists",
            message: "this machine already has a profile '\(name)'; nothing was enrolled. To replace it, "
                + "devicecred remove --profile \(name) first; or use a link with another profile=NAME",
            status: .linkRefused)
    }

    /// `enroll` with the link's API URL, tenant, token and profile, and nothing else: the key store and the
    /// device name are the defaults, never the page's choice. Parsed in this process, so the token is on no
    /// command line.
    static func enrollCommand(for link: EnrollmentLink) throws -> EnrollCommand {
        do {
            return try EnrollCommand.parse([
                "--token=\(link.token)", "--api-url=\(link.apiURL)", "--tenant-id=\(link.tenantID)",
                "--profile=\(link.profile)",
            ])
        } catch {
            // ArgumentParser's message could quote the token: a fixed one instead.
            throw CommandFailure(
                code: "failure", message: "the link's values do not make an enrollment; nothing was enrolled",
                status: .failure)
        }
    }
}
