import ArgumentParser
import DeviceCredential
import FoundationEssentials

/// `devicecred refresh`: proves to the server that this machine still holds the key (`updateCredential`).
struct RefreshCommand: DevicecredSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh",
        abstract: "Prove to the server that this machine still holds the key; refreshes the credential's last use.",
        discussion: """
            Signs a fresh nonce from the server (updateCredential), as the mobile SDKs do when an app starts. \
            --reset-expiry also restarts the credential's expiry period, where the service gives credentials \
            one: run it from a timer to keep an unattended machine enrolled. A TPM key with a PIN asks for it, \
            or reads --pin-file.
            """)

    @Flag(name: .customLong("reset-expiry"), help: "Also restart the credential's expiry period.")
    var resetExpiry = false

    @OptionGroup var pinOptions: PINOptions
    @OptionGroup var namespaceOptions: NamespaceOptions
    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard namespaceOptions.namespace == .push else {
            throw ValidationError(
                "refresh applies to push credentials: the qr and inapp namespaces have no nonce to sign "
                    + "(devicecred status --namespace \(namespaceOptions.namespace.rawValue) checks the credential)")
        }
    }

    func execute(in context: CommandContext) async throws {
        let opened = try ProfileContext.open(profileOptions, logger: context.logger)
        let key = try opened.requireLocalKey()
        let client = opened.client
        let resetExpiry = self.resetExpiry
        let credential = try await opened.signing(pin: pinOptions.input, requiresPIN: key.requiresPIN) {
            try await client.updateCredential(resetExpiry: resetExpiry)
        }
        context.console.result(
            Documents.credential(credential),
            human: "refreshed the credential of profile '\(opened.profile.name)'\n"
                + HumanText.credential(credential, now: Date()))
    }
}
