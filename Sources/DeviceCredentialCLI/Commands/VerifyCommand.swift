import ArgumentParser
import DeviceCredential

/// `devicecred verify`: proves that a program runs on this enrolled machine, with the profile's in-app key.
struct VerifyCommand: DevicecredSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Prove that this machine is enrolled: sign an in-app challenge and print the token.",
        discussion: """
            Signs a fresh challenge from the server with the profile's in-app key and prints the token the \
            server returns, for a login script, a VPN connect hook or any program that wants proof that it \
            runs here: its backend checks the token with the Server API's validate (verificationMethod \
            IN_APP). With a TPM key the proof cannot be made on another machine; with a PIN it also proves \
            the user. The token is printed on standard output only, never logged. Needs an in-app \
            credential: devicecred enroll --namespace inapp [--username NAME].
            """)

    @Option(help: ArgumentHelp("The action code the token is for (validate returns it).", valueName: "action"))
    var action: String = "verify"

    @Option(help: ArgumentHelp("Sign with the in-app key of this user name.", valueName: "name"))
    var username: String?

    @OptionGroup var pinOptions: PINOptions
    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if action.isEmpty || action.utf8.count > 256 || action.contains("/")
            || action.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        {
            throw ValidationError("--action is 1 to 256 bytes without '/' or control characters")
        }
        if let username, username.isEmpty || username.utf8.count > 128 {
            throw ValidationError("--username is 1 to 128 bytes")
        }
    }

    func execute(in context: CommandContext) async throws {
        let opened = try ProfileContext.open(profileOptions, logger: context.logger)
        let credential = NamespacedCredential(
            try NamespaceOptions.parse(["--namespace", "inapp"] + (username.map { ["--username", $0] } ?? [])),
            client: opened.client)
        let key = try credential.requireKey(profile: opened.profile)
        let inApp = opened.client.inApp
        let (action, username) = (self.action, self.username)
        let proof: InAppVerification
        do {
            proof = try await opened.signing(pin: pinOptions.input, requiresPIN: key.requiresPIN) {
                try await inApp.verify(action: action, username: username)
            }
        } catch let error as DeviceCredentialError {
            throw CommandFailure(error, during: .other)
        }
        context.console.result(
            .object([
                "token": .string(proof.token), "userId": .string(proof.userId),
                "userAuthenticatorId": .string(proof.userAuthenticatorId), "action": .string(action),
                "username": username.map(JSONValue.string) ?? .null,
            ]),
            // A real token (a JWT: base64url and dots) prints unchanged; a hostile server's cannot act on the terminal.
            human: HumanText.shown(proof.token))
    }
}
