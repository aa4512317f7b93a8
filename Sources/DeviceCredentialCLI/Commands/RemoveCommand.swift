import ArgumentParser
import DeviceCredential

/// `devicecred remove`: removes the credential on the server, then the local key and the profile.
struct RemoveCommand: DevicecredSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove the credential on the server, then the local key and the profile.",
        discussion: """
            Nothing local is deleted unless the server confirmed the removal or no longer knew the credential: \
            after a network error or a locked keyring, run remove again. The removal is signed: a TPM key \
            with a PIN asks for it (or reads --pin-file).
            """)

    @OptionGroup var pinOptions: PINOptions
    @OptionGroup var namespaceOptions: NamespaceOptions
    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var output: OutputOptions

    func execute(in context: CommandContext) async throws {
        let opened = try ProfileContext.open(profileOptions, logger: context.logger)
        if namespaceOptions.namespace != .push { return try await removeNamespace(opened, in: context) }
        let removedID: String?
        do {
            let client = opened.client
            removedID = try await opened.signing(pin: pinOptions.input) { try await client.removeCredential() }
        } catch let error as DeviceCredentialError where error.code == .notEnrolled {
            // No key left to sign the removal: only the saved settings can go.
            try opened.store.remove(named: opened.profile.name)
            context.console.result(
                Documents.removal(profile: opened.profile.name, removedAuthenticatorId: nil),
                human: "removed profile '\(opened.profile.name)' (it had no key in its store; "
                    + "delete the authenticator on the server if it still exists)")
            return
        }
        try opened.store.remove(named: opened.profile.name)
        let detail =
            removedID.map { "authenticator \(HumanText.shown($0)) removed on the server" }
            ?? "the server had already forgotten the credential"
        context.console.result(
            Documents.removal(profile: opened.profile.name, removedAuthenticatorId: removedID),
            human: "removed profile '\(opened.profile.name)' (\(detail))")
    }
}
