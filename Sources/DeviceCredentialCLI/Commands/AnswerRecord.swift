import DeviceCredential
import FoundationEssentials

/// What `approve` and `deny` leave behind besides the answer: a line in the history of answers and, for
/// `deny --report`, the journal entry. Neither may fail the command: the answer was sent (or not) already,
/// so a failure to record is said on standard error and the command goes on.
enum AnswerRecord {
    /// Writes `outcome` of `challenge` to the history (channel `cli`).
    static func history(_ challenge: AppChallenge, profile: String, outcome: HistoryOutcome, console: Console) {
        do {
            try ChallengeHistory.standard().append(
                HistoryEntry(challenge, profile: profile, outcome: outcome, channel: .cli))
        } catch {
            console.message("could not write the history of answers: \(error)")
        }
    }

    /// Writes the "This wasn't me" journal entry for `challenge`; `denied` when the server took the denial.
    static func journal(_ challenge: AppChallenge, profile: String, denied: Bool, console: Console) {
        do {
            try JournalSocket.standard().send(
                ChallengeReport.journalEntry(for: challenge, profile: profile, channel: .cli, denied: denied))
        } catch {
            console.message("could not write the report to the journal: \(error)")
        }
    }

    /// The challenge as far as it is known: the pending one when it has this id (for the report's
    /// context), else the id alone.
    static func known(_ challengeID: String, client: DeviceCredentialClient, profile: DeviceProfile) async
        -> AppChallenge
    {
        if let pending = try? await client.getChallenge(), pending.challengeId == challengeID { return pending }
        return AppChallenge(challengeId: challengeID, userAuthenticatorId: profile.userAuthenticatorID ?? "")
    }
}
