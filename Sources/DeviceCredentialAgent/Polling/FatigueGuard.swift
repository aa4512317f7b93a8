public import DeviceCredential
public import FoundationEssentials

/// The push-fatigue guard's settings: more than `limit` challenges refused (denied, dismissed, let
/// expire) within `window` start a `coolDown` during which challenges are held, not shown one by one.
public struct FatigueGuardSettings: Sendable, Equatable {
    /// More refused challenges than this within ``window`` trip the guard.
    public var limit: Int
    /// How far back refused challenges count, in seconds.
    public var window: TimeInterval
    /// How long challenges are held once the guard trips, in seconds.
    public var coolDown: TimeInterval
    /// Off: every challenge is shown, however many were refused.
    public var isEnabled: Bool

    /// 3 in 10 minutes, 15 minutes: a person who denies or misses three prompts in a row has seen enough
    /// of them; a sign-in of their own rarely needs more than two tries.
    public init(limit: Int = 3, window: TimeInterval = 600, coolDown: TimeInterval = 900, isEnabled: Bool = true) {
        self.limit = limit
        self.window = window
        self.coolDown = coolDown
        self.isEnabled = isEnabled
    }

    public static let off = FatigueGuardSettings(isEnabled: false)
}

/// What became of a challenge that was shown, as far as the guard cares.
enum ShownOutcome: Equatable, Sendable {
    /// Approved (or sent and refused by the server): a person acted on it.
    case approved
    case denied
    /// Closed, left, or its prompt failed: still pending for another device.
    case dismissed
    /// Its prompt was taken away: answered elsewhere, expired, or replaced by a newer challenge.
    case withdrawn
}

/// The push-fatigue guard of one profile, without a clock: every call is given the time.
///
/// A challenge counts as refused when it was denied, dismissed, replaced by a newer one while shown, or
/// withdrawn past its expiry; one answered elsewhere does not count. More than `limit` refused within
/// `window` start the cool-down: from then on each new challenge is held (listed by the CLI and the
/// D-Bus API, never shown one by one, never approved by the agent), and the first one held brings one
/// warning. The warning's "Deny all" denies what was held and keeps the cool-down; "Show anyway" ends it.
struct FatigueGuard {
    /// A refused challenge, remembered for the warning's "from where".
    struct Refusal: Equatable {
        var challengeId: String
        var at: Date
        var ipAddress: String?
        var userAgent: String?
    }

    let settings: FatigueGuardSettings
    private(set) var refusals: [Refusal] = []
    /// When the cool-down ends; nil outside one.
    private(set) var coolDownEnds: Date?
    /// The challenges held during this cool-down, oldest first (a bounded list).
    private(set) var held: [AppChallenge] = []
    /// Whether this cool-down's warning was shown.
    private(set) var hasWarned = false
    /// The challenges shown, to tell "replaced while shown" from nothing; bounded.
    private var shownChallenges: [String: AppChallenge] = [:]

    static let heldCapacity = 64

    init(settings: FatigueGuardSettings) {
        self.settings = settings
    }

    /// Whether challenges are held at `now`.
    func isCoolingDown(at now: Date) -> Bool {
        guard let coolDownEnds else { return false }
        return now < coolDownEnds
    }

    /// What to do with a challenge not seen before, arriving at `now`.
    enum Verdict: Equatable {
        case show
        /// Hold it; `warning` is the cool-down's one warning, on the first challenge held.
        case hold(warning: FatigueWarning?)
    }

    mutating func arriving(_ challenge: AppChallenge, profile: String, at now: Date) -> Verdict {
        endCoolDownIfOver(at: now)
        guard settings.isEnabled, isCoolingDown(at: now) else {
            willShow(challenge)
            return .show
        }
        held.append(challenge)
        if held.count > Self.heldCapacity { held.removeFirst() }
        guard !hasWarned else { return .hold(warning: nil) }
        hasWarned = true
        return .hold(warning: warning(profile: profile, at: now))
    }

    /// Records how a shown challenge ended; returns true when this refusal trips the guard.
    mutating func shown(_ challengeId: String, ended outcome: ShownOutcome, at now: Date) -> Bool {
        guard let challenge = shownChallenges.removeValue(forKey: challengeId) else { return false }
        let refused: Bool
        switch outcome {
        case .approved: refused = false
        case .denied, .dismissed: refused = true
        // Answered elsewhere does not count; expired or replaced while shown does.
        case .withdrawn: refused = challenge.expiresAt.map { $0 <= now } ?? false
        }
        guard refused else { return false }
        return refuse(challenge, at: now)
    }

    /// A shown challenge replaced by a newer one before anyone answered it: a refusal too (prompts that
    /// come faster than a person answers are what push bombing looks like).
    mutating func replaced(_ challengeId: String, at now: Date) -> Bool {
        guard let challenge = shownChallenges.removeValue(forKey: challengeId) else { return false }
        return refuse(challenge, at: now)
    }

    /// "Show anyway": the cool-down ends and the count starts again.
    mutating func showAnyway() {
        coolDownEnds = nil
        refusals = []
        held = []
        hasWarned = false
    }

    /// "Deny all": the held challenges that may still be pending at `now` (the cool-down goes on).
    mutating func denyAll(at now: Date) -> [AppChallenge] {
        defer { held = [] }
        return held.filter { challenge in challenge.expiresAt.map { $0 > now } ?? true }
    }

    private mutating func refuse(_ challenge: AppChallenge, at now: Date) -> Bool {
        guard settings.isEnabled else { return false }
        refusals.append(
            Refusal(
                challengeId: challenge.challengeId, at: now, ipAddress: challenge.ipAddress,
                userAgent: challenge.userAgent))
        refusals.removeAll { $0.at <= now.addingTimeInterval(-settings.window) }
        guard !isCoolingDown(at: now), refusals.count > settings.limit else { return false }
        coolDownEnds = now.addingTimeInterval(settings.coolDown)
        held = []
        hasWarned = false
        return true
    }

    /// Remembers a challenge about to be shown, so how it ends counts.
    mutating func willShow(_ challenge: AppChallenge) {
        // Only the open prompt and a few before it can still end; older entries are dropped.
        if shownChallenges.count >= Self.heldCapacity { shownChallenges.removeAll() }
        shownChallenges[challenge.challengeId] = challenge
    }

    private mutating func endCoolDownIfOver(at now: Date) {
        guard let coolDownEnds, now >= coolDownEnds else { return }
        self.coolDownEnds = nil
        refusals = []
        held = []
        hasWarned = false
    }

    /// The warning: the attempts in the window and during the cool-down, and where they came from.
    private func warning(profile: String, at now: Date) -> FatigueWarning {
        let sources =
            refusals.map { ($0.ipAddress, $0.userAgent) } + held.map { ($0.ipAddress, $0.userAgent) }
        return FatigueWarning(
            profileName: profile, attempts: refusals.count + held.count,
            ipAddresses: Self.distinct(sources.compactMap(\.0)),
            userAgents: Self.distinct(sources.compactMap(\.1)),
            coolDownEnds: coolDownEnds ?? now)
    }

    private static func distinct(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }
}
