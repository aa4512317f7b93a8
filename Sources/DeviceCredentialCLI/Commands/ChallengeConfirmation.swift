import DeviceCredential
import FoundationEssentials

/// `approve` and `deny` without a challenge id: never blind. On a terminal the pending challenge is shown
/// and the person confirms it; with no one to ask, the id must be given. An attacker who starts sign-ins
/// in a loop (push bombing) then gets nothing from a reflexive `devicecred approve`.
enum ChallengeConfirmation {
    /// What is being confirmed.
    enum Answer: String {
        case approve, deny
    }

    /// Refuses to pick a challenge by itself when no one can be asked (standard input is not a terminal).
    static func requireTerminal(toPickFor answer: Answer) throws {
        guard !TerminalInput.isInteractive else { return }
        throw CommandFailure.usage(
            "challenge_id_required",
            "give the challenge id (devicecred \(answer.rawValue) CHALLENGE_ID; devicecred challenge shows it): "
                + "without a terminal to show the challenge on, \(answer.rawValue) does not pick one by itself")
    }

    /// The pending challenge (`no_pending_challenge` if none), shown on the terminal.
    static func showPending(client: DeviceCredentialClient, fullUserAgent: Bool) async throws -> AppChallenge {
        guard let pending = try await client.getChallenge() else { throw CommandFailure.noPendingChallenge }
        TerminalInput.say(HumanText.challenge(pending, now: Date(), fullUserAgent: fullUserAgent) + "\n")
        return pending
    }

    /// Asks "Approve this sign-in? [y/N]" until y or n; anything but yes is `cancelled` (exit 13).
    static func confirm(_ answer: Answer, _ challenge: AppChallenge) throws {
        let question = answer == .approve ? "Approve this sign-in? [y/N] " : "Deny this sign-in? [y/N] "
        while true {
            guard let typed = TerminalInput.readLine(prompt: question, echo: true) else { break }
            switch typed.filter({ !$0.isWhitespace }).lowercased() {
            case "y", "yes": return
            case "", "n", "no": throw cancelled(answer, challenge)
            default: TerminalInput.say("Please type y or n.\n")
            }
        }
        throw cancelled(answer, challenge)
    }

    static func cancelled(_ answer: Answer, _ challenge: AppChallenge) -> CommandFailure {
        CommandFailure(
            code: "cancelled",
            message: "not confirmed: nothing was sent, challenge \(HumanText.shown(challenge.challengeId)) is still "
                + "pending (\(answer == .approve ? "deny it with devicecred deny" : "it expires by itself"))",
            status: .cancelled)
    }
}
