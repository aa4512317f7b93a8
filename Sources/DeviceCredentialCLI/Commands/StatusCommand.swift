import ArgumentParser
import DeviceCredential
import FoundationEssentials

/// `devicecred status`: the local key and the server's view of the credential.
struct StatusCommand: DevicecredSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the profile's key (kind, SHA-256 fingerprint of its public key) and the server's view of it.",
        discussion: "Exits 0 only when the key is here and the server knows the credential.")

    @OptionGroup var namespaceOptions: NamespaceOptions
    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var output: OutputOptions

    func execute(in context: CommandContext) async throws {
        let opened = try ProfileContext.open(profileOptions, logger: context.logger)
        if namespaceOptions.namespace != .push { return try await showNamespace(opened, in: context) }
        let key = try opened.requireLocalKey()
        context.console.progress(HumanText.localStatus(opened.profile, key: key))
        let credential = try await opened.client.getCredential()
        context.console.result(
            Documents.status(profile: opened.profile, key: key, credential: credential),
            human: HumanText.credential(credential, now: Date()))
    }
}
