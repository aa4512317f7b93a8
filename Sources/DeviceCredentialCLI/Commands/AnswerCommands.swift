import ArgumentParser
import DeviceCredential
import FoundationEssentials

/// `devicecred approve`: approves a challenge, with the number-matching code when the profile uses number
/// matching. Without an id, it shows the pending challenge on the terminal and asks first.
struct ApproveCommand: DevicecredSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve a challenge (without an id: show the pending one and ask first).",
        discussion: """
            Without a challenge id, approve shows the pending challenge on the terminal and asks for \
            confirmation (or for the number-matching code); with no terminal it refuses (exit 2): scripts \
            give the id. A profile enrolled with --number-matching never approves without a code: give \
            --code, or run approve on a terminal to be asked for it. A TPM key with a PIN asks for the PIN \
            on the terminal, or reads it from --pin-file; a wrong PIN typed on a terminal may be retyped \
            (3 tries in all).
            """)

    @Argument(
        help: ArgumentHelp(
            "The challenge to approve (default: the pending one, shown and confirmed on the terminal).",
            valueName: "challenge-id"))
    var challengeID: String?

    @Option(help: ArgumentHelp("The number-matching code the browser shows.", valueName: "code"))
    var code: String?

    @OptionGroup var pinOptions: PINOptions
    @OptionGroup var detailOptions: DetailOptions
    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let code, code.allSatisfy(\.isWhitespace) { throw ValidationError("--code is empty") }
        try ChallengeID.validate(challengeID)
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
        var challenge: AppChallenge?
        if challengeID == nil {
            try ChallengeConfirmation.requireTerminal(toPickFor: .approve)
            challenge = try await ChallengeConfirmation.showPending(
                client: opened.client, fullUserAgent: detailOptions.full)
        }
        var verificationCode = code
        if opened.profile.usesNumberMatching, verificationCode == nil {
            // Typing the code the browser shows is the confirmation: only the person at that browser knows it.
            let typed = TerminalInput.readLine(prompt: "Code shown in the browser: ", echo: true)
            guard let typed, !typed.allSatisfy(\.isWhitespace) else {
                throw CommandFailure.usage("verification_code_required", "no code was typed; nothing was approved")
            }
            verificationCode = String(typed.filter { !$0.isWhitespace })
        } else if let challenge {
            try ChallengeConfirmation.confirm(.approve, challenge)
        }
        let id = challenge?.challengeId ?? challengeID ?? ""
        let isVerified = try await ChallengeAnswer.send(
            id, approved: true, verificationCode: verificationCode.map { String($0.filter { !$0.isWhitespace }) },
            in: opened, pin: pinOptions.input, requiresPIN: key.requiresPIN)
        let shownID = HumanText.shown(id)
        AnswerRecord.history(
            challenge ?? AppChallenge(challengeId: id, userAuthenticatorId: opened.profile.userAuthenticatorID ?? ""),
            profile: opened.profile.name, outcome: isVerified ? .approved : .refused, console: context.console)
        guard isVerified else {
            let option = opened.profile.name == DeviceProfile.defaultName ? "" : " --profile \(opened.profile.name)"
            let hint =
                opened.profile.usesNumberMatching
                ? "the code did not match the one the sign-in shows"
                : "if the sign-in shows a number, enable number matching: devicecred profile set --number-matching on"
                    + option
            throw CommandFailure(
                code: "not_verified",
                message: "the server refused the approval of challenge \(shownID) (isVerified=false); \(hint); "
                    + "the challenge is used up",
                status: .approvalNotVerified)
        }
        context.console.result(
            Documents.answer(challengeId: id, approved: true, isVerified: true), human: "approved challenge \(shownID)")
    }
}

/// `devicecred deny`: denies a challenge. Without an id, it shows the pending challenge on the terminal
/// and asks first.
struct DenyCommand: DevicecredSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "deny", abstract: "Deny a challenge (without an id: show the pending one and ask first).",
        discussion: """
            Without a challenge id, deny shows the pending challenge on the terminal and asks for \
            confirmation; with no terminal it refuses (exit 2): scripts give the id. The denial is signed \
            too: a TPM key with a PIN asks for the PIN as approve does. With --report ("This wasn't me") the \
            denial is also written to the journal as a warning (MESSAGE_ID c34eea090888491887b10966b87341e8) \
            and recorded as reported in the history, even when the server no longer took it.
            """)

    @Argument(
        help: ArgumentHelp(
            "The challenge to deny (default: the pending one, shown and confirmed on the terminal).",
            valueName: "challenge-id"))
    var challengeID: String?

    @Flag(help: "\"This wasn't me\": deny, and report the sign-in attempt to the journal and the history.")
    var report = false

    @OptionGroup var pinOptions: PINOptions
    @OptionGroup var detailOptions: DetailOptions
    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        try ChallengeID.validate(challengeID)
    }

    func execute(in context: CommandContext) async throws {
        let opened = try ProfileContext.open(profileOptions, logger: context.logger)
        let key = try opened.requireLocalKey()
        var challenge: AppChallenge?
        if challengeID == nil {
            try ChallengeConfirmation.requireTerminal(toPickFor: .deny)
            let pending = try await ChallengeConfirmation.showPending(
                client: opened.client, fullUserAgent: detailOptions.full)
            try ChallengeConfirmation.confirm(.deny, pending)
            challenge = pending
        }
        let id = challenge?.challengeId ?? challengeID ?? ""
        var known = challenge ?? AppChallenge(challengeId: id, userAuthenticatorId: "")
        if report, challenge == nil {
            // Read before denying: once denied, the server no longer shows the challenge's context.
            known = await AnswerRecord.known(id, client: opened.client, profile: opened.profile)
        }
        let isVerified: Bool
        do {
            isVerified = try await ChallengeAnswer.send(
                id, approved: false, verificationCode: nil, in: opened, pin: pinOptions.input,
                requiresPIN: key.requiresPIN)
        } catch {
            // "This wasn't me" is worth reporting even when the denial did not go through.
            if report { record(known, profile: opened.profile.name, denied: false, console: context.console) }
            throw error
        }
        record(known, profile: opened.profile.name, denied: true, console: context.console)
        context.console.result(
            Documents.answer(challengeId: id, approved: false, isVerified: isVerified),
            human: report
                ? "denied and reported challenge \(HumanText.shown(id))" : "denied challenge \(HumanText.shown(id))")
    }

    private func record(_ challenge: AppChallenge, profile: String, denied: Bool, console: Console) {
        if report { AnswerRecord.journal(challenge, profile: profile, denied: denied, console: console) }
        AnswerRecord.history(challenge, profile: profile, outcome: report ? .reported : .denied, console: console)
    }
}

/// What approve and deny share: reading the server's answer in their terms.
enum ChallengeAnswer {
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
