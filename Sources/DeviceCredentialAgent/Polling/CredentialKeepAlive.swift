public import DeviceCredential
public import FoundationEssentials

/// When a credential the server gives an `expiresAt` is renewed (`updateCredential(resetExpiry: true)`),
/// without a clock or server: each call is given the credential as last seen and the time.
///
/// - The lifetime is estimated as `expiresAt` minus the last verification (the server restarts the
///   period there at the latest); a renewal is due once half of it is left.
/// - A renewal that did not move `expiresAt` (a server that ignores `resetExpiry`) is not tried again
///   for a day, or for half the lifetime when that is shorter, so the server is never hammered.
/// - A key that needs a PIN cannot be renewed unattended: the person is told, a week ahead (or at half
///   the lifetime when shorter), once a day, to run `devicecred refresh --reset-expiry`.
/// - No `expiresAt`, or one already past: nothing to do; looked at again in a day.
public enum CredentialKeepAlive {
    /// What to do now.
    public enum Step: Equatable, Sendable {
        case none
        case renew
        /// Tell the person to renew it with their PIN before `expiresAt`.
        case askForPINRenewal(expiresAt: Date)
    }

    public struct Plan: Equatable, Sendable {
        public var step: Step
        /// Seconds until the credential is looked at again.
        public var nextCheck: TimeInterval
    }

    static let day: TimeInterval = 86_400
    static let pinWarningAhead: TimeInterval = 7 * 86_400
    /// The shortest wait between two looks, so a tiny lifetime cannot make a busy loop.
    static let shortestWait: TimeInterval = 1

    /// - Parameters:
    ///   - lastRenewal: when this agent last renewed it, and whether that moved `expiresAt`.
    ///   - lastPINWarning: when the person was last told to renew it.
    public static func plan(
        _ credential: AppCredential, now: Date, keyNeedsPIN: Bool, lastRenewal: (at: Date, moved: Bool)? = nil,
        lastPINWarning: Date? = nil
    ) -> Plan {
        guard let expiresAt = credential.expiresAt, expiresAt > now else { return Plan(step: .none, nextCheck: day) }
        let left = expiresAt.timeIntervalSince(now)
        let since = credential.lastVerifiedAt ?? credential.verifiedAt
        // Without a start, assume the whole period is left: renewing now is the safe side.
        let lifetime = since.map { max(expiresAt.timeIntervalSince($0), left) } ?? 2 * left
        let half = lifetime / 2
        if keyNeedsPIN {
            let ahead = min(pinWarningAhead, half)
            guard left <= ahead else { return Plan(step: .none, nextCheck: wait(left - ahead)) }
            if let lastPINWarning, now.timeIntervalSince(lastPINWarning) < day {
                return Plan(step: .none, nextCheck: wait(min(day - now.timeIntervalSince(lastPINWarning), left)))
            }
            return Plan(step: .askForPINRenewal(expiresAt: expiresAt), nextCheck: wait(min(day, left)))
        }
        guard left <= half else { return Plan(step: .none, nextCheck: wait(left - half)) }
        if let lastRenewal, !lastRenewal.moved {
            let spacing = min(day, half)
            let elapsed = now.timeIntervalSince(lastRenewal.at)
            if elapsed < spacing { return Plan(step: .none, nextCheck: wait(spacing - elapsed)) }
        }
        return Plan(step: .renew, nextCheck: wait(min(half, day)))
    }

    private static func wait(_ seconds: TimeInterval) -> TimeInterval {
        guard seconds.isFinite else { return day }
        return min(max(seconds, shortestWait), day)
    }
}
