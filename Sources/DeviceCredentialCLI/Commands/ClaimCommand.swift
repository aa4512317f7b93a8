import ArgumentParser
import DeviceCredential
import FoundationEssentials
import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `devicecred claim`: claims a QR-code challenge a browser shows, shows its sign-in, and approves or
/// denies it with the profile's QR-code key.
struct ClaimCommand: DevicecredSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "claim",
        abstract: "Claim a QR-code challenge a browser shows, show its sign-in, and approve or deny it.",
        discussion: """
            CHALLENGE is the challenge id, the text a scanner read from the QR code, or - to read the first \
            line of standard input (zbarcam --raw | devicecred claim -). Claiming locks the challenge to this \
            machine and shows the sign-in (action, address, browser) on the terminal; then approve or deny \
            it: answering no sends a denial, so the browser stops waiting. Without a terminal, give \
            --approve or --deny. A profile with number matching (or --code) sends the code the browser \
            shows. Needs a QR-code credential: devicecred enroll --namespace qr.
            """)

    enum Answer: String, EnumerableFlag {
        case approve, deny

        static func help(for value: Answer) -> ArgumentHelp? {
            value == .approve
                ? "Approve without asking (scripts)." : "Deny without asking (scripts)."
        }
    }

    @Argument(
        help: ArgumentHelp(
            "The challenge id, the scanned text of the QR code, or - for standard input.", valueName: "challenge"))
    var challenge: String

    @Flag var answer: Answer?

    @Option(help: ArgumentHelp("The number-matching code the browser shows.", valueName: "code"))
    var code: String?

    @OptionGroup var pinOptions: PINOptions
    @OptionGroup var detailOptions: DetailOptions
    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if challenge.isEmpty { throw ValidationError("the challenge is empty") }
        if let code, code.allSatisfy(\.isWhitespace) { throw ValidationError("--code is empty") }
        if code != nil, answer == .deny { throw ValidationError("--code goes with approving, not --deny") }
    }

    func execute(in context: CommandContext) async throws {
        let challengeID = try ScannedChallenge.challengeID(
            in: challenge == "-" ? try ScannedChallenge.readStandardInput() : challenge)
        let opened = try ProfileContext.open(profileOptions, logger: context.logger)
        let qr = opened.client.qr
        guard let key = try qr.localKeySummary() else {
            throw CommandFailure(
                code: DeviceCredentialError.Code.notEnrolled.rawValue,
                message: "the profile '\(opened.profile.name)' has no QR-code credential on this machine; enroll it "
                    + "with devicecred enroll --namespace qr",
                status: .notEnrolled)
        }
        // Decided before claiming: a claim locks the challenge to this machine, so it must be answerable.
        let canAsk = Self.hasTerminal
        let needsCode = answer != .deny && (opened.profile.usesNumberMatching || code != nil)
        guard answer != nil || canAsk else {
            throw CommandFailure.usage(
                "answer_required", "no terminal to ask on: pass --approve or --deny; nothing was claimed")
        }
        if needsCode, code == nil, !canAsk {
            throw CommandFailure.usage(
                "verification_code_required",
                "the profile '\(opened.profile.name)' uses number matching: pass --code CODE; nothing was claimed")
        }
        let claimed = try await signed(opened, requiresPIN: key.requiresPIN) {
            try await qr.claimChallenge(challengeId: challengeID)
        }
        let shown = HumanText.qrChallenge(claimed, fullUserAgent: detailOptions.full)
        if canAsk { TerminalInput.say(shown + "\n") } else { context.console.progress(shown) }

        let approved = try answer.map { $0 == .approve } ?? Self.askApproval()
        var verificationCode = code.map { String($0.filter { !$0.isWhitespace }) }
        if approved, needsCode, verificationCode == nil {
            let typed = TerminalInput.readLine(prompt: "Code shown in the browser: ", echo: true)
            guard let typed, !typed.allSatisfy(\.isWhitespace) else {
                throw CommandFailure.usage(
                    "verification_code_required",
                    "no code was typed; nothing was approved (the challenge stays claimed until it expires)")
            }
            verificationCode = String(typed.filter { !$0.isWhitespace })
        }
        let sentCode = verificationCode
        let isVerified = try await signed(opened, requiresPIN: key.requiresPIN) {
            try await qr.updateChallenge(challengeId: challengeID, approved: approved, verificationCode: sentCode)
        }
        let document = Documents.qrAnswer(claimed, approved: approved, isVerified: isVerified)
        if approved, !isVerified {
            throw CommandFailure(
                code: "not_verified",
                message: "the server refused the approval of challenge \(HumanText.shown(challengeID)) "
                    + "(isVerified=false): "
                    + (needsCode ? "the code did not match the one the browser shows" : "it may need a code (--code)")
                    + "; the challenge is used up",
                status: .approvalNotVerified)
        }
        context.console.result(
            document, human: "\(approved ? "approved" : "denied") QR-code challenge \(HumanText.shown(challengeID))")
    }

    private func signed<Result: Sendable>(
        _ opened: ProfileContext, requiresPIN: Bool, _ operation: @Sendable () async throws -> Result
    ) async throws -> Result {
        do {
            return try await opened.signing(pin: pinOptions.input, requiresPIN: requiresPIN, operation)
        } catch let error as DeviceCredentialError {
            throw CommandFailure(error, during: .answeringChallenge)
        }
    }

    /// "Approve this sign-in? [y/N]": yes approves; no, an empty line or a closed terminal denies.
    private static func askApproval() -> Bool {
        while let typed = TerminalInput.readLine(prompt: "Approve this sign-in? [y/N] ", echo: true) {
            switch typed.filter({ !$0.isWhitespace }).lowercased() {
            case "y", "yes": return true
            case "", "n", "no": return false
            default: TerminalInput.say("Please type y or n.\n")
            }
        }
        return false
    }

    /// Whether a person can be asked: the process has a controlling terminal (standard input may be the
    /// scanner's pipe).
    private static var hasTerminal: Bool {
        guard
            let terminal = try? FileDescriptor.open(
                "/dev/tty", .readWrite, options: [.closeOnExec, FileDescriptor.OpenOptions(rawValue: O_NOCTTY)])
        else { return false }
        try? terminal.close()
        return true
    }
}

extension HumanText {
    /// A claimed QR-code challenge: every value came from the browser through the server, so each is shown
    /// through `DisplayText.terminal`.
    static func qrChallenge(_ context: QRChallengeContext, fullUserAgent: Bool) -> String {
        "QR-code challenge \(shown(context.challengeId)) claimed\n"
            + rows([
                ("action", context.actionCode.map(shown)),
                ("from", context.ipAddress.map(shown)),
                fullUserAgent
                    ? ("user agent", context.userAgent.map(shown))
                    : ("browser", context.userAgent.map { shown(UserAgentSummary.text(for: $0)) }),
                ("custom", context.custom.map(JSONRendering.render)),
                ("user custom", context.userCustom.map(JSONRendering.render)),
            ])
    }
}

extension Documents {
    /// `claim`'s result: the answer and the context the claim showed.
    static func qrAnswer(_ context: QRChallengeContext, approved: Bool, isVerified: Bool) -> JSONValue {
        let text = { (value: String?) in value.map(JSONValue.string) ?? .null }
        return .object([
            "challengeId": .string(context.challengeId), "approved": .bool(approved), "isVerified": .bool(isVerified),
            "actionCode": text(context.actionCode), "idempotencyKey": text(context.idempotencyKey),
            "ipAddress": text(context.ipAddress), "userAgent": text(context.userAgent),
            "custom": context.custom ?? .null, "userCustom": context.userCustom ?? .null,
        ])
    }
}
