import DeviceCredential
import DeviceCredentialTestSupport
import Foundation

/// Creates push challenges at random moments, one pending at a time (so any poll the server answers
/// while it is pending carries it), answers every fourth itself, directly to the server, racing the
/// agent ("answered elsewhere"), and records how each one ended.
struct ChallengeDriver: Sendable {
    /// How one challenge ended.
    struct Outcome: Sendable {
        var challengeId: String
        /// The driver's own answer went through (the server accepted it).
        var answeredElsewhere: Bool
        /// Nobody's answer was accepted before its expiry.
        var expired: Bool
        /// The browser's poll at the end: consumed (answered or expired), and verified (approved).
        var isConsumed: Bool
        var isVerified: Bool
    }

    let backend: ServerAPI
    let userID: String
    /// A client of the same profile and key straight to the server, for the answers given elsewhere.
    let elsewhere: DeviceCredentialClient
    let board: SoakBoard
    let challengeTTL: Double

    /// Runs until the board says stop; returns every challenge's outcome.
    func run() async throws -> [Outcome] {
        var outcomes: [Outcome] = []
        while !board.snapshot.stopping {
            // A random phase against the agent's polls and the proxy's flapping, as real sign-ins have.
            try await Task.sleep(for: .milliseconds(Int.random(in: 100...1500)))
            outcomes.append(try await oneChallenge(answerElsewhere: outcomes.count % 4 == 3))
        }
        return outcomes
    }

    /// One challenge, from creation to its end (answered by the agent or here, or expired).
    func oneChallenge(answerElsewhere: Bool) async throws -> Outcome {
        let push = try await backend.pushChallenge(userID: userID)
        let id = push.challengeID
        async let ownAnswer = answerElsewhere ? answer(id) : false
        // Answered by someone, or past its expiry (the server's clock is this machine's).
        let answered = await board.wait(timeout: .seconds(Int64(challengeTTL.rounded(.up)) + 2)) {
            $0.agentAnswers[id] != nil || $0.answeredElsewhere.contains(id)
        }
        let answeredHere = await ownAnswer
        let verdict = try await backend.poll(push)
        return Outcome(
            challengeId: id, answeredElsewhere: answeredHere, expired: !answered && !answeredHere,
            isConsumed: verdict.isConsumed, isVerified: verdict.isVerified)
    }

    /// Approves `id` at once or after a random short delay; true when the server accepted it. Refused when
    /// the agent's answer went first (its claim on this machine, or the server's 409): the race it is for.
    private func answer(_ id: String) async -> Bool {
        if Bool.random() { try? await Task.sleep(for: .milliseconds(Int.random(in: 0...400))) }
        do {
            _ = try await elsewhere.updateChallenge(challengeId: id, approved: true)
        } catch {
            return false
        }
        board.update { _ = $0.answeredElsewhere.insert(id) }
        return true
    }
}
