import ArgumentParser
import DeviceCredential
import FoundationEssentials

/// `devicecred approve`: approves a challenge (default: the pending one), with the number-matching code
/// when the profile uses number matching.
struct ApproveCommand: DevicecredCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve a challenge (default: the pending one).",
        discussion: """
            A profile enrolled with --number-matching never approves without a code: give --code, or run \
            approve on a terminal to be asked for it. A TPM key with a PIN asks for the PIN on the terminal, \
            or reads it from --pin-file; a wrong PIN typed on a terminal may be retyped (3 tries in all).
            """)

    @Argument(help: ArgumentHelp("The challenge to approve (default: the pending one).", valueName: "challenge-id"))
    var challengeID: String?

    @Option(help: ArgumentHelp("The number-matching code the browser shows.", valueName: "code"))
    var code: String?

    @OptionGroup var pinOptions: PINOptions
    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let code, code.allSatisfy(\.isWhitespace) { throw ValidationError("--code is empty") }
        if let challengeID, challengeID.isEmpty { throw ValidationError("the challenge id is empty") }
    }

    func execute(in context: CommandContext) async throws {
        let opened = try ProfileContext.open(profileOptions, logger: context.logger)
        let key = try opened.requireLocalKey()
        // Checked before any request: without a code there is nothing to send, and nothing is approved.
        if opened.profile.usesNumberMatching, code == nil, !TerminalInput.isInteractive {
            throw CommandFailure.usage(
                "verification_code_required",
                "the profile '\(opened.profile.name)' uses number matching: pass --code CODE (the code the browser shows)"
            )
        }
        let challenge = try await ChallengeAnswer.target(challengeID, client: opened.client)
        var verificationCode = code
        if opened.profile.usesNumberMatching, verificationCode == nil {
            if let challenge { StandardStream.error.write(HumanText.challenge(challenge, now: Date()) + "\n") }
            let typed = TerminalInput.readLine(prompt: "Code shown in the browser: ", echo: true)
            guard let typed, !typed.allSatisfy(\.isWhitespace) else {
                throw CommandFailure.usage("verification_code_required", "no code was typed; nothing was approved")
            }
            verificationCode = String(typed.filter { !$0.isWhitespace })
        }
        let id = challenge?.challengeId ?? challengeID ?? ""
        let isVerified = try await ChallengeAnswer.send(
            id, approved: true, verificationCode: verificationCode.map { String($0.filter { !$0.isWhitespace }) },
            in: opened, pin: pinOptions.input, requiresPIN: key.requiresPIN)
        guard isVerified else {
            let option = opened.profile.name == DeviceProfile.defaultName ? "" : " --profile \(opened.profile.name)"
            let hint =
                opened.profile.usesNumberMatching
                ? "the code did not match the one the sign-in shows"
                : "if the sign-in shows a number, enable number matching: devicecred profile set --number-matching on"
                    + option
            throw CommandFailure(
                code: "not_verified",
                message: "the server refused the approval of challenge \(id) (isVerified=false); \(hint); "
                    + "the challenge is used up",
                status: .approvalNotVerified)
        }
        context.console.result(
            Documents.answer(challengeId: id, approved: true, isVerified: true), human: "approved challenge \(id)")
    }
}

/// `devicecred deny`: denies a challenge (default: the pending one).
struct DenyCommand: DevicecredCommand {
    static let configuration = CommandConfiguration(
        commandName: "deny", abstract: "Deny a challenge (default: the pending one).",
        discussion: "The denial is signed too: a TPM key with a PIN asks for the PIN as approve does.")

    @Argument(help: ArgumentHelp("The challenge to deny (default: the pending one).", valueName: "challenge-id"))
    var challengeID: String?

    @OptionGroup var pinOptions: PINOptions
    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let challengeID, challengeID.isEmpty { throw ValidationError("the challenge id is empty") }
    }

    func execute(in context: CommandContext) async throws {
        let opened = try ProfileContext.open(profileOptions, logger: context.logger)
        let key = try opened.requireLocalKey()
        let challenge = try await ChallengeAnswer.target(challengeID, client: opened.client)
        let id = challenge?.challengeId ?? challengeID ?? ""
        let isVerified = try await ChallengeAnswer.send(
            id, approved: false, verificationCode: nil, in: opened, pin: pinOptions.input,
            requiresPIN: key.requiresPIN)
        context.console.result(
            Documents.answer(challengeId: id, approved: false, isVerified: isVerified), human: "denied challenge \(id)")
    }
}

/// What approve and deny share: finding the challenge, and reading the server's answer in their terms.
enum ChallengeAnswer {
    /// The pending challenge when no id was given (`no_pending_challenge` if none); nil when an id was given.
    static func target(_ challengeID: String?, client: DeviceCredentialClient) async throws -> AppChallenge? {
        guard challengeID == nil else { return nil }
        guard let pending = try await client.getChallenge() else { throw CommandFailure.noPendingChallenge }
        return pending
    }

    /// Signs and sends the answer, with the key's PIN when it has one.
    static func send(
        _ challengeID: String, approved: Bool, verificationCode: String?, in opened: ProfileContext,
        pin: TPMPINInput, requiresPIN: Bool
    ) async throws -> Bool {
        let client = opened.client
        do {
            return try await opened.signing(pin: pin, requiresPIN: requiresPIN) {
                try await client.updateChallenge(
                    challengeId: challengeID, approved: approved, verificationCode: verificationCode)
            }
        } catch let error as DeviceCredentialError {
            throw CommandFailure(error, during: .answeringChallenge)
        }
    }
}
