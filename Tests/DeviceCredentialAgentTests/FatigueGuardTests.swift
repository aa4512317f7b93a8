import DeviceCredential
import FoundationEssentials
import Logging
import Testing

@testable import DeviceCredentialAgent

/// The push-fatigue guard's rules as tables: each row an event, the minute it happens, and the effects
/// it must give, in order. No server, keyring or clock (every time is given; jitter is off).
@Suite("fatigue guard")
struct FatigueGuardTests {
    typealias Step = (minute: Double, event: PollEvent, effects: [PollEffect])

    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let settings = FatigueGuardSettings(limit: 3, window: 600, coolDown: 900)

    static func at(_ minute: Double) -> Date { start.addingTimeInterval(minute * 60) }

    /// Challenge `n`, from its own address and browser, expiring five minutes after minute `n`.
    static func challenge(_ n: Int, expiresAtMinute: Double? = nil) -> AppChallenge {
        AppChallenge(
            challengeId: "c\(n)", userAuthenticatorId: "ua", actionCode: "signIn",
            userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/13\(n).0", ipAddress: "203.0.113.\(n)",
            expiresAt: at(expiresAtMinute ?? Double(n) + 5))
    }

    static let polledPending = PollEffect.log(.debug("polled", ["outcome": "pending"]))
    static let polledIdle = PollEffect.log(.debug("polled", ["outcome": "idle"]))
    static let wait = PollEffect.wait(.seconds(5))
    static func tripped(refused: Int) -> PollEffect {
        .log(
            .warning(
                "many challenges refused in a short time: holding new ones (fatigue guard)",
                ["refused": "\(refused)", "windowMinutes": "10", "coolDownMinutes": "15"]))
    }

    /// Shown at minute `n`, then ended `how` at minute `n + 0.5`.
    static func shownAndEnded(_ n: Int, _ how: ShownOutcome, trips: Bool = false, endMinute: Double? = nil) -> [Step] {
        [
            (Double(n), .polled(.pending(challenge(n))), [polledPending, .show(challenge(n)), wait]),
            (endMinute ?? Double(n) + 0.5, .answered(challengeId: "c\(n)", how), trips ? [tripped(refused: 4)] : []),
        ]
    }

    private func play(
        _ steps: [Step], settings: FatigueGuardSettings = Self.settings,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var state = PollerState(
            schedule: PollSchedule(interval: .seconds(5), jitter: 0), fatigue: settings, profileName: "work")
        for (index, step) in steps.enumerated() {
            let effects = state.handle(step.event, at: Self.at(step.minute))
            #expect(effects == step.effects, "step \(index)", sourceLocation: sourceLocation)
        }
    }

    static func warning(attempts: Int, from challenges: [Int], endsAtMinute: Double) -> FatigueWarning {
        FatigueWarning(
            profileName: "work", attempts: attempts, ipAddresses: challenges.map { "203.0.113.\($0)" },
            userAgents: challenges.map { "Mozilla/5.0 (X11; Linux x86_64) Firefox/13\($0).0" },
            coolDownEnds: at(endsAtMinute))
    }

    @Test(
        "four refused in ten minutes (denied, dismissed, let expire) hold the fifth with one warning; the sixth is held silently"
    )
    func fourRefusedHoldTheFifth() {
        play(
            Self.shownAndEnded(1, .denied) + Self.shownAndEnded(2, .dismissed) + Self.shownAndEnded(3, .denied)
                // Expired: withdrawn after its expiry (minute 9) counts.
                + Self.shownAndEnded(4, .withdrawn, trips: true, endMinute: 9.5) + [
                    (
                        10, .polled(.pending(Self.challenge(5))),
                        [
                            Self.polledPending, .hold(Self.challenge(5)),
                            .warn(Self.warning(attempts: 5, from: [1, 2, 3, 4, 5], endsAtMinute: 24.5)), Self.wait,
                        ]
                    ),
                    (10.1, .polled(.pending(Self.challenge(5))), [Self.polledPending, Self.wait]),
                    (
                        11, .polled(.pending(Self.challenge(6))),
                        [Self.polledPending, .release(challengeId: "c5"), .hold(Self.challenge(6)), Self.wait]
                    ),
                    (12, .polled(.idle), [Self.polledIdle, .release(challengeId: "c6"), Self.wait]),
                ])
    }

    @Test(
        "three refused do not trip; approvals and answers elsewhere do not count; refusals older than the window are forgotten"
    )
    func belowTheLimit() {
        play(
            Self.shownAndEnded(1, .denied) + Self.shownAndEnded(2, .denied) + Self.shownAndEnded(3, .approved)
                // Withdrawn before its expiry: answered elsewhere.
                + Self.shownAndEnded(4, .withdrawn) + Self.shownAndEnded(5, .dismissed)
                // Minute 12: the refusal of minute 1.5 is out of the window; 2.5, 5.5, 12.5 are three.
                + Self.shownAndEnded(12, .denied) + [
                    (
                        13, .polled(.pending(Self.challenge(13))),
                        [Self.polledPending, .show(Self.challenge(13)), Self.wait]
                    )
                ])
    }

    @Test("a shown challenge replaced by a newer one before any answer counts as refused")
    func replacedCountsAsRefused() {
        play(
            Self.shownAndEnded(1, .denied) + Self.shownAndEnded(2, .denied) + Self.shownAndEnded(3, .denied) + [
                (4, .polled(.pending(Self.challenge(4))), [Self.polledPending, .show(Self.challenge(4)), Self.wait]),
                (
                    5, .polled(.pending(Self.challenge(5))),
                    [
                        Self.polledPending, Self.tripped(refused: 4), .withdraw(challengeId: "c4"),
                        .hold(Self.challenge(5)),
                        .warn(Self.warning(attempts: 5, from: [1, 2, 3, 4, 5], endsAtMinute: 20)), Self.wait,
                    ]
                ),
                // The replaced prompt's answering ends later: counted once, not twice.
                (5.1, .answered(challengeId: "c4", .withdrawn), []),
            ])
    }

    static let tripAtFour: [Step] =
        shownAndEnded(1, .denied) + shownAndEnded(2, .denied) + shownAndEnded(3, .denied)
        + shownAndEnded(4, .denied, trips: true)

    @Test("deny all denies the held challenges not yet expired and the cool-down goes on")
    func denyAll() {
        play(
            Self.tripAtFour + [
                (
                    5, .polled(.pending(Self.challenge(5, expiresAtMinute: 5.5))),
                    [
                        Self.polledPending, .hold(Self.challenge(5, expiresAtMinute: 5.5)),
                        .warn(Self.warning(attempts: 5, from: [1, 2, 3, 4, 5], endsAtMinute: 19.5)), Self.wait,
                    ]
                ),
                (
                    6, .polled(.pending(Self.challenge(6))),
                    [Self.polledPending, .release(challengeId: "c5"), .hold(Self.challenge(6)), Self.wait]
                ),
                (
                    6.5, .warningAnswered(.denyAll),
                    [.log(.notice("fatigue warning: deny all", ["challenges": "1"])), .deny([Self.challenge(6)])]
                ),
                (7, .polled(.idle), [Self.polledIdle, .release(challengeId: "c6"), Self.wait]),
                (
                    8, .polled(.pending(Self.challenge(8))),
                    [Self.polledPending, .hold(Self.challenge(8)), Self.wait]
                ),
            ])
    }

    @Test("show anyway shows the held challenge and ends the cool-down; dismissing the warning keeps them held")
    func showAnyway() {
        play(
            Self.tripAtFour + [
                (
                    5, .polled(.pending(Self.challenge(5))),
                    [
                        Self.polledPending, .hold(Self.challenge(5)),
                        .warn(Self.warning(attempts: 5, from: [1, 2, 3, 4, 5], endsAtMinute: 19.5)), Self.wait,
                    ]
                ),
                (
                    5.2, .warningAnswered(.dismissed),
                    [.log(.info("fatigue warning dismissed; new challenges stay held until the cool-down ends"))]
                ),
                (5.3, .polled(.pending(Self.challenge(5))), [Self.polledPending, Self.wait]),
                (
                    5.5, .warningAnswered(.showAnyway),
                    [
                        .log(.notice("fatigue warning: show anyway; challenges are shown again")),
                        .release(challengeId: "c5"), .show(Self.challenge(5)),
                    ]
                ),
                (5.6, .polled(.pending(Self.challenge(5))), [Self.polledPending, Self.wait]),
                (
                    6, .polled(.pending(Self.challenge(6))),
                    [Self.polledPending, .withdraw(challengeId: "c5"), .show(Self.challenge(6)), Self.wait]
                ),
            ])
    }

    @Test("once the cool-down is over a held challenge still pending is shown, and so is the next one")
    func coolDownEnds() {
        play(
            Self.tripAtFour + [
                (
                    19.4, .polled(.pending(Self.challenge(5))),
                    [
                        Self.polledPending, .hold(Self.challenge(5)),
                        .warn(Self.warning(attempts: 5, from: [1, 2, 3, 4, 5], endsAtMinute: 19.5)), Self.wait,
                    ]
                ),
                (19.45, .polled(.pending(Self.challenge(5))), [Self.polledPending, Self.wait]),
                // Still pending when the cool-down ends: shown as any other.
                (
                    19.5, .polled(.pending(Self.challenge(5))),
                    [Self.polledPending, .release(challengeId: "c5"), .show(Self.challenge(5)), Self.wait]
                ),
                (
                    19.55, .polled(.pending(Self.challenge(6))),
                    [Self.polledPending, .withdraw(challengeId: "c5"), .show(Self.challenge(6)), Self.wait]
                ),
                (19.6, .answered(challengeId: "c6", .denied), []),
            ])
    }

    @Test("with the guard off, every challenge is shown however many were refused")
    func off() {
        play(
            Self.shownAndEnded(1, .denied) + Self.shownAndEnded(2, .denied) + Self.shownAndEnded(3, .denied)
                + Self.shownAndEnded(4, .denied) + Self.shownAndEnded(5, .denied) + Self.shownAndEnded(6, .denied),
            settings: .off)
    }

    @Test("the warning names every address and browser once, rendered for its medium")
    func warningText() {
        let warning = FatigueWarning(
            profileName: "work", attempts: 5, ipAddresses: ["203.0.113.7", "<b>evil</b>"],
            userAgents: ["Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0"], coolDownEnds: Self.start)
        let markup = FatigueWarningText.details(for: warning, rendering: DisplayText.markup)
        #expect(markup.contains("From: 203.0.113.7, &lt;b&gt;evil&lt;/b&gt;"))
        #expect(markup.contains { $0.hasPrefix("Browsers: Firefox") })
        #expect(markup.contains("Someone may know your password: change it if you did not try to sign in."))
        #expect(markup[0] == "5 sign-in requests were refused or ignored in a short time.")
    }
}
