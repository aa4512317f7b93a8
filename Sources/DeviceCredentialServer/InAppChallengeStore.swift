import Foundation

/// The in-app challenges handed out by `client/challenge`: single-use, short-lived, kept in the repository
/// like the nonces (with `--database` one handed out before a restart still verifies, once, after it).
struct InAppChallengeStore: Sendable {
    /// Anyone with the tenant id may ask for challenges: the store cannot grow without bound.
    static let maximumLive = 10_000
    let repository: any Repository
    let lifetime: TimeInterval

    func issue(action: String?, at now: Date) async throws -> String {
        let id = UUID().uuidString.lowercased()
        try await repository.insertInAppChallenge(
            InAppChallengeRecord(id: id, action: action, expiresAt: now.addingTimeInterval(lifetime)),
            keepingAtMost: Self.maximumLive, at: now)
        return id
    }

    /// Removes and returns the live challenge `id`; nil when unknown, used or expired.
    func consume(_ id: String, at now: Date) async throws -> InAppChallengeRecord? {
        try await repository.consumeInAppChallenge(id: id, at: now)
    }
}
