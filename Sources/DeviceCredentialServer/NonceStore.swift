import Foundation

/// Single-use, short-lived messages a device signs to prove it holds its key. Kept in the repository, so
/// with `--database` a nonce handed out before a restart is still accepted, once, after it.
struct NonceStore: Sendable {
    enum Purpose: Sendable, Equatable {
        case getChallenge
        case updateCredential(challengeId: String)

        /// As stored: an update nonce is tied to the challengeId handed out with it.
        var stored: String {
            switch self {
            case .getChallenge: return "getChallenge"
            case .updateCredential(let challengeId): return "updateCredential:" + challengeId
            }
        }
    }

    /// A device that asks for nonces and never uses them cannot grow the store without bound.
    static let maximumPerCredential = 16
    let repository: any Repository
    let lifetime: TimeInterval

    func issue(for authenticatorId: String, purpose: Purpose, at now: Date) async throws -> String {
        let message = UUID().uuidString.lowercased() + "." + UUID().uuidString.lowercased()
        try await repository.insertNonce(
            NonceRecord(
                message: message, authenticatorId: authenticatorId, purpose: purpose.stored,
                expiresAt: now.addingTimeInterval(lifetime)),
            keepingAtMost: Self.maximumPerCredential, at: now)
        return message
    }

    /// Removes the live nonce for `purpose` whose message `isSigned` accepts; false when there is none.
    func consume(
        for authenticatorId: String, purpose: Purpose, at now: Date,
        where isSigned: @escaping @Sendable (String) -> Bool
    ) async throws -> Bool {
        try await repository.consumeNonce(
            authenticatorId: authenticatorId, purpose: purpose.stored, at: now, where: isSigned)
    }
}
