import DeviceCredential
import Logging

extension ProfilePoller {
    /// Tries in all before a challenge is left unanswered: a few typos are forgiven, while the TPM's
    /// dictionary-attack counter (shared by every key on it) is not run up.
    static let maximumPINAttempts = 3

    /// How a TPM in dictionary-attack lockout recovers, for the log.
    static let lockoutRecovery =
        "the TPM forgets one wrong PIN per recovery interval (TPM2_PT_LOCKOUT_INTERVAL seconds, see "
        + "tpm2_getcap properties-variable) and accepts the key again once under its limit; an administrator "
        + "can end the lockout at once with tpm2_dictionarylockout --clear-lockout"

    /// Asks for the key's PIN and signs the answer with it; after a wrong PIN asks again, up to
    /// ``maximumPINAttempts`` in all. A cancelled or empty PIN, a TPM in lockout, or the challenge
    /// going away leave it unanswered. The PIN is never logged.
    func answerWithPIN(_ request: PromptRequest, approved: Bool, code: String?, race: UntilWithdrawn, logger: Logger)
        async
    {
        guard let pinPrompter else {
            logger.error(
                "this profile's TPM key needs a PIN: install pinentry or pass --pin-command; challenge left unanswered")
            return
        }
        for attempt in 1...Self.maximumPINAttempts {
            // The time left is counted again for each prompt.
            let pinRequest = PINRequest(
                challenge: PromptRequest(challenge: request.challenge, profile: profile, now: clock.now),
                approving: approved, attempt: attempt, maximumAttempts: Self.maximumPINAttempts)
            let typed = await race.run { () -> Result<String?, any Error>? in
                do {
                    return .success(try await pinPrompter.askPIN(pinRequest))
                } catch is CancellationError {
                    return nil
                } catch {
                    return .failure(error)
                }
            }
            guard !Task.isCancelled else { return }
            let pin: String
            switch typed {
            case nil:
                logger.info("challenge withdrawn: answered elsewhere or expired")
                return
            case .failure(let error)?:
                logger.error("PIN prompt failed; challenge left unanswered", metadata: ["error": "\(error)"])
                return
            case .success(let typed)?:
                guard let typed, !typed.isEmpty else {
                    logger.info("no PIN given; challenge left unanswered")
                    return
                }
                pin = typed
            }
            let left = Self.maximumPINAttempts - attempt
            // Longer than any TPM key's PIN can be: wrong without asking the TPM (no lockout count).
            if pin.utf8.count <= TPMKeyFactory.maximumPINLength {
                switch await send(
                    request.challenge.challengeId, approved: approved, code: code, pin: pin, logger: logger)
                {
                case .done:
                    return
                case .lockedOut:
                    logger.error(
                        "the TPM is locked out after too many wrong PINs; challenge left unanswered",
                        metadata: ["hint": "\(Self.lockoutRecovery)"])
                    return
                case .wrongPIN:
                    break
                }
            }
            logger.warning("wrong PIN", metadata: ["attempt": "\(attempt)", "attemptsLeft": "\(left)"])
        }
        logger.error(
            "wrong PIN too many times; challenge left unanswered", metadata: ["attempts": "\(Self.maximumPINAttempts)"])
    }
}
