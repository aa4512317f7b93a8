import Foundation

/// The in-app challenges handed out by `client/challenge`: single-use, short-lived, kept in memory like
/// the push nonces (a restart simply invalidates them).
actor InAppChallengeStore {
    struct Challenge: Sendable {
        let action: String?
        let expiresAt: Date
    }

    /// Anyone with the tenant id may ask for challenges: the store cannot grow without bound.
    private static let maximumLive = 10_000
    private var challenges: [String: Challenge] = [:]
    private var order: [String] = []
    private let lifetime: TimeInterval

    init(lifetime: TimeInterval) { self.lifetime = lifetime }

    func issue(action: String?, at now: Date) -> String {
        if challenges.count >= Self.maximumLive {
            order = order.filter { challenges[$0].map { $0.expiresAt > now } ?? false }
            challenges = challenges.filter { $0.value.expiresAt > now }
            while challenges.count >= Self.maximumLive, let oldest = order.first {
                order.removeFirst()
                challenges[oldest] = nil
            }
        }
        let id = UUID().uuidString.lowercased()
        challenges[id] = Challenge(action: action, expiresAt: now.addingTimeInterval(lifetime))
        order.append(id)
        return id
    }

    /// Removes and returns the live challenge `id`; nil when unknown, used or expired.
    func consume(_ id: String, at now: Date) -> Challenge? {
        guard let challenge = challenges.removeValue(forKey: id) else { return nil }
        order.removeAll { $0 == id }
        return challenge.expiresAt > now ? challenge : nil
    }
}
