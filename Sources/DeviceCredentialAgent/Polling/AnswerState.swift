import DeviceCredential
import Logging

/// What answering one shown challenge learns. A withdrawal (answered elsewhere, expired) can come
/// while the decision prompt or a PIN prompt is open.
enum AnswerEvent {
    case started
    case decided(PromptDecision)
    case promptFailed(any Error)
    case withdrawn
    /// Whether the key needs a PIN to sign, or why that could not be told.
    case keyNeedsPIN(Result<Bool, any Error>)
    /// The PIN typed; nil or empty when none was given.
    case pinTyped(String?)
    case pinPromptFailed(any Error)
    case sent(AnswerSent)
}

/// How sending a signed answer went.
enum AnswerSent {
    /// The server took it; `isVerified` as it said.
    case accepted(isVerified: Bool)
    case wrongPIN
    case lockedOut
    /// Another answer went first: from this machine (the CLI, an app) or, as the server says, elsewhere.
    case alreadyAnswered
    case failed(any Error)
}

/// What answering a challenge does next. Every answer to an event ends with an ask, a send or `finish`.
enum AnswerEffect: Equatable {
    case log(LogLine)
    /// Shows the challenge and waits for the person's decision.
    case askDecision
    /// Asks the key whether it needs a PIN.
    case checkKeyPIN
    /// Asks for the key's PIN (try `attempt` of ``AnswerState/maximumPINAttempts``).
    case askPIN(attempt: Int)
    /// Signs and sends the answer, with `pin` for the key when given.
    case send(approved: Bool, code: String?, pin: String?)
    /// "This wasn't me": writes the report (journal, report command); `denied` when the server took the denial.
    case report(denied: Bool)
    case finish
}

/// The rules of answering one challenge, without a prompter, key or server:
///
/// - Withdrawn (answered elsewhere, expired) while any prompt is open: the prompt goes, nothing is sent.
/// - Left unanswered, a failed prompt, or an approval without the number-matching code when one is
///   needed: nothing is sent; the challenge stays pending for another device.
/// - A key with a PIN: asked for it; a wrong PIN asks again, up to ``maximumPINAttempts`` in all; a
///   PIN longer than any key's is wrong without asking the TPM; none given, a TPM lockout or no PIN
///   prompter leave the challenge unanswered. The PIN is never logged.
/// - An approval the server did not verify is an error that says how to turn number matching on.
/// - "This wasn't me" denies as a denial does, and is reported however that ends (sent, withdrawn, no
///   PIN): the person said someone else is trying to sign in, which is worth knowing either way.
struct AnswerState {
    /// Tries in all before a challenge is left unanswered: a few typos are forgiven, while the TPM's
    /// dictionary-attack counter (shared by every key on it) is not run up.
    static let maximumPINAttempts = 3

    /// How a TPM in dictionary-attack lockout recovers, for the log.
    static let lockoutRecovery =
        "the TPM forgets one wrong PIN per recovery interval (TPM2_PT_LOCKOUT_INTERVAL seconds, see "
        + "tpm2_getcap properties-variable) and accepts the key again once under its limit; an administrator "
        + "can end the lockout at once with tpm2_dictionarylockout --clear-lockout"

    let challenge: AppChallenge
    let profile: DeviceProfile
    let hasPINPrompter: Bool
    private(set) var answer: (approved: Bool, code: String?)?
    private(set) var attempt = 0
    /// The person answered "This wasn't me".
    private(set) var isReported = false
    /// The server took the answer.
    private(set) var wasSent = false
    /// Why the answer decided on was not sent, once that is known.
    private(set) var notSent: AnswerNotSent?

    init(challenge: AppChallenge, profile: DeviceProfile, hasPINPrompter: Bool) {
        self.challenge = challenge
        self.profile = profile
        self.hasPINPrompter = hasPINPrompter
    }

    mutating func handle(_ event: AnswerEvent) -> [AnswerEffect] {
        let effects = effects(of: event)
        guard isReported, let finish = effects.firstIndex(of: .finish) else { return effects }
        var reported = effects
        reported.insert(.report(denied: wasSent), at: finish)
        return reported
    }

    private mutating func effects(of event: AnswerEvent) -> [AnswerEffect] {
        switch event {
        case .started:
            let context: Logger.Metadata = [
                "action": "\(challenge.actionCode ?? "-")", "ipAddress": "\(challenge.ipAddress ?? "-")",
            ]
            return [.log(.info("challenge received", context)), .askDecision]
        case .withdrawn:
            return [.log(.info("challenge withdrawn: answered elsewhere or expired")), .finish]
        case .promptFailed(let error):
            return [.log(.error("prompt failed", ["error": "\(error)"]))] + effects(of: .decided(.unanswered))
        case .decided(let decision):
            return decided(decision)
        case .keyNeedsPIN(.failure(let error)):
            notSent = AnswerNotSent(error)
            return [.log(.error("could not send the answer", ["error": "\(error)"])), .finish]
        case .keyNeedsPIN(.success(false)):
            return [send(pin: nil)]
        case .keyNeedsPIN(.success(true)):
            guard hasPINPrompter else {
                notSent = .pinFailed
                return [
                    .log(
                        .error(
                            "this profile's TPM key needs a PIN: install pinentry or pass --pin-command; challenge left unanswered"
                        )),
                    .finish,
                ]
            }
            attempt = 1
            return [.askPIN(attempt: attempt)]
        case .pinPromptFailed(let error):
            notSent = .pinFailed
            return [.log(.error("PIN prompt failed; challenge left unanswered", ["error": "\(error)"])), .finish]
        case .pinTyped(let pin):
            guard let pin, !pin.isEmpty else {
                notSent = .pinFailed
                return [.log(.info("no PIN given; challenge left unanswered")), .finish]
            }
            // Longer than any TPM key's PIN can be: wrong without asking the TPM (no lockout count).
            guard pin.utf8.count <= TPMKeyFactory.maximumPINLength else { return wrongPIN() }
            return [send(pin: pin)]
        case .sent(.accepted(let isVerified)):
            wasSent = true
            return sent(isVerified: isVerified) + [.finish]
        case .sent(.wrongPIN):
            return wrongPIN()
        case .sent(.lockedOut):
            notSent = .pinFailed
            return [
                .log(
                    .error(
                        "the TPM is locked out after too many wrong PINs; challenge left unanswered",
                        ["hint": "\(Self.lockoutRecovery)"])),
                .finish,
            ]
        case .sent(.alreadyAnswered):
            return [
                .log(.notice("challenge already answered elsewhere (devicecred, an app, or another device); not sent")),
                .finish,
            ]
        case .sent(.failed(let error)):
            notSent = AnswerNotSent(error)
            return [.log(.error("could not send the answer", ["error": "\(error)"])), .finish]
        }
    }

    private mutating func decided(_ decision: PromptDecision) -> [AnswerEffect] {
        switch decision {
        case .unanswered:
            return [.log(.info("challenge left unanswered")), .finish]
        case .approve(let code) where profile.usesNumberMatching && (code ?? "").isEmpty:
            return [
                .log(.warning("approval without the number-matching code refused; challenge left unanswered")),
                .finish,
            ]
        case .approve(let code):
            answer = (true, profile.usesNumberMatching ? code : nil)
        case .deny:
            answer = (false, nil)
        case .report:
            answer = (false, nil)
            isReported = true
            return [.log(.notice("challenge reported as not mine; denying it")), .checkKeyPIN]
        }
        return [.checkKeyPIN]
    }

    private func send(pin: String?) -> AnswerEffect {
        .send(approved: answer?.approved ?? false, code: answer?.code, pin: pin)
    }

    private mutating func wrongPIN() -> [AnswerEffect] {
        let left = Self.maximumPINAttempts - attempt
        let warning = AnswerEffect.log(.warning("wrong PIN", ["attempt": "\(attempt)", "attemptsLeft": "\(left)"]))
        guard left > 0 else {
            notSent = .pinFailed
            return [
                warning,
                .log(
                    .error(
                        "wrong PIN too many times; challenge left unanswered",
                        ["attempts": "\(Self.maximumPINAttempts)"])),
                .finish,
            ]
        }
        attempt += 1
        return [warning, .askPIN(attempt: attempt)]
    }

    /// An approval the server did not verify reads like success in a plain log line: say it was refused,
    /// and what to change when the profile does not know the sign-in uses number matching.
    private func sent(isVerified: Bool) -> [AnswerEffect] {
        let approved = answer?.approved ?? false
        guard approved && !isVerified else {
            let denied: Logger.Message = isReported ? "challenge denied and reported" : "challenge denied"
            return [.log(.notice(approved ? "challenge approved" : denied, ["isVerified": "\(isVerified)"]))]
        }
        guard !profile.usesNumberMatching else {
            return [
                .log(
                    .error(
                        "the server refused the approval (isVerified=false): the code did not match the one the sign-in shows"
                    ))
            ]
        }
        let option = profile.name == DeviceProfile.defaultName ? "" : " --profile \(profile.name)"
        return [
            .log(
                .error(
                    "the server refused the approval (isVerified=false); if the sign-in shows a number, enable number matching",
                    ["fix": "devicecred profile set --number-matching on\(option)"]))
        ]
    }
}
