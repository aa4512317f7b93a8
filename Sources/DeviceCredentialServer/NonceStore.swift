import Foundation

/// Single-use, short-lived messages a device signs to prove it holds its key.
/// Kept in memory on purpose: a restart simply invalidates them.
actor NonceStore {
    enum Purpose: Sendable, Equatable {
        case getChallenge
        case updateCredential(challengeId: String)
    }

    private struct Nonce {
        let message: String
        let purpose: Purpose
        let expiresAt: Date
    }

    /// A device that asks for nonces and never uses them cannot grow the store without bound.
    private static let maximumPerCredential = 16
    private var nonces: [String: [Nonce]] = [:]
    private let lifetime: TimeInterval

    init(lifetime: TimeInterval) { self.lifetime = lifetime }

    func issue(for authenticatorId: String, purpose: Purpose, at now: Date) -> String {
        let message = UUID().uuidString.lowercased() + "." + UUID().uuidString.lowercased()
        var live = nonces[authenticatorId, default: []].filter { $0.expiresAt > now }
        live.append(Nonce(message: message, purpose: purpose, expiresAt: now.addingTimeInterval(lifetime)))
        nonces[authenticatorId] = Array(live.suffix(Self.maximumPerCredential))
        return message
    }

    /// Removes the live nonce for `purpose` whose message `isSigned` accepts; false when there is none.
    func consume(for authenticatorId: String, purpose: Purpose, at now: Date, where isSigned: (String) -> Bool)
        -> Bool
    {
        let live = nonces[authenticatorId, default: []].filter { $0.expiresAt > now }
        guard let index = live.firstIndex(where: { $0.purpose == purpose && isSigned($0.message) }) else {
            nonces[authenticatorId] = live
            return false
        }
        var remaining = live
        remaining.remove(at: index)
        nonces[authenticatorId] = remaining
        return true
    }

    func removeAll(for authenticatorId: String) { nonces[authenticatorId] = nil }
}
