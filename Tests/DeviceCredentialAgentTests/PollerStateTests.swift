import DeviceCredential
import FoundationEssentials
import Logging
import Testing

@testable import DeviceCredentialAgent

/// The poll loop's rules as tables: each row an event and the effects it must give, in order. No
/// server, keyring or clock (jitter is off, so every delay is exact).
@Suite("poller state")
struct PollerStateTests {
    typealias Step = (event: PollEvent, effects: [PollEffect])

    static let first = AppChallenge(challengeId: "c1", userAuthenticatorId: "ua")
    static let second = AppChallenge(challengeId: "c2", userAuthenticatorId: "ua")

    static func failure(_ code: DeviceCredentialError.Code, retryAfter: Duration? = nil) -> PollEvent {
        .polled(.failed(DeviceCredentialError(code: code, message: "m", retryAfter: retryAfter)))
    }
    static func polled(_ summary: String) -> PollEffect { .log(.debug("polled", ["outcome": "\(summary)"])) }
    static func backingOff(_ code: DeviceCredentialError.Code) -> PollEffect {
        .log(.warning("poll failed; backing off", ["error": "\(code)", "detail": "m"]))
    }
    static func nextPoll(_ delay: Duration, failures: Int) -> PollEffect {
        .log(.debug("next poll", ["delay": "\(delay)", "failures": "\(failures)"]))
    }

    /// Feeds the steps to a fresh state and compares every answer.
    private func play(_ steps: [Step], sourceLocation: SourceLocation = #_sourceLocation) {
        var state = PollerState(schedule: PollSchedule(interval: .seconds(5), jitter: 0))
        for (index, step) in steps.enumerated() {
            let effects = state.handle(step.event, at: Date(timeIntervalSince1970: 1_800_000_000))
            #expect(effects == step.effects, "step \(index)", sourceLocation: sourceLocation)
        }
    }

    @Test("polls at once at start and after each wait; a resume forgets the failures and says so")
    func startAndResume() {
        play([
            (.started, [.poll]),
            (
                Self.failure(.serverError),
                [
                    Self.polled("server_error"), Self.backingOff(.serverError),
                    Self.nextPoll(.seconds(10), failures: 1), .wait(.seconds(10)),
                ]
            ),
            (.waited(.elapsed), [.poll]),
            (
                Self.failure(.serverError),
                [Self.polled("server_error"), Self.nextPoll(.seconds(20), failures: 2), .wait(.seconds(20))]
            ),
            (.waited(.resumed), [.log(.notice("resumed from suspend; polling now")), .poll]),
            (
                Self.failure(.serverError),
                [Self.polled("server_error"), Self.nextPoll(.seconds(10), failures: 1), .wait(.seconds(10))]
            ),
        ])
    }

    @Test("a new challenge is shown once; a 429 while its prompt is open keeps it open and honours Retry-After")
    func rateLimitedWhilePromptOpen() {
        play([
            (.polled(.pending(Self.first)), [Self.polled("pending"), .show(Self.first), .wait(.seconds(5))]),
            (.polled(.pending(Self.first)), [Self.polled("pending"), .wait(.seconds(5))]),
            (
                Self.failure(.tooManyRequests, retryAfter: .seconds(120)),
                [
                    .log(.debug("polled", ["outcome": "too_many_requests"])), Self.backingOff(.tooManyRequests),
                    Self.nextPoll(.seconds(120), failures: 1), .wait(.seconds(120)),
                ]
            ),
            (
                .polled(.pending(Self.first)),
                [
                    Self.polled("pending"), .log(.notice("polling works again", ["was": "too_many_requests"])),
                    .wait(.seconds(5)),
                ]
            ),
        ])
    }

    @Test(
        "the open prompt is withdrawn when its challenge goes or another replaces it; one shown before is not shown again"
    )
    func withdrawAndShowOnce() {
        play([
            (.polled(.pending(Self.first)), [Self.polled("pending"), .show(Self.first), .wait(.seconds(5))]),
            (
                .polled(.pending(Self.second)),
                [Self.polled("pending"), .withdraw(challengeId: "c1"), .show(Self.second), .wait(.seconds(5))]
            ),
            (.polled(.idle), [Self.polled("idle"), .withdraw(challengeId: "c2"), .wait(.seconds(5))]),
            (.polled(.idle), [Self.polled("idle"), .wait(.seconds(5))]),
            (.polled(.pending(Self.first)), [Self.polled("pending"), .wait(.seconds(5))]),
        ])
    }

    @Test(
        "a local wait is said once and keeps the normal pace; recovery is said",
        arguments: [DeviceCredentialError.Code.keyringLocked, .keyringUnavailable, .dbusUnavailable])
    func localWait(code: DeviceCredentialError.Code) throws {
        let waiting = try #require(PollerState.localWait(code))
        play([
            (
                Self.failure(code),
                [
                    .log(.debug("polled", ["outcome": "\(code.rawValue)"])),
                    .log(.warning(waiting, ["error": "\(code)", "detail": "m"])), .wait(.seconds(5)),
                ]
            ),
            (Self.failure(code), [.log(.debug("polled", ["outcome": "\(code.rawValue)"])), .wait(.seconds(5))]),
            (
                .polled(.idle),
                [Self.polled("idle"), .log(.notice("polling works again", ["was": "\(code)"])), .wait(.seconds(5))]
            ),
        ])
    }

    @Test("back-off doubles to the cap, a new failure is said again, success returns to the interval")
    func backoff() {
        play([
            (
                Self.failure(.serverError),
                [
                    Self.polled("server_error"), Self.backingOff(.serverError),
                    Self.nextPoll(.seconds(10), failures: 1), .wait(.seconds(10)),
                ]
            ),
            (
                Self.failure(.serverError),
                [Self.polled("server_error"), Self.nextPoll(.seconds(20), failures: 2), .wait(.seconds(20))]
            ),
            (
                Self.failure(.serverError),
                [Self.polled("server_error"), Self.nextPoll(.seconds(40), failures: 3), .wait(.seconds(40))]
            ),
            (
                Self.failure(.networkError),
                [
                    Self.polled("network_error"), Self.backingOff(.networkError),
                    Self.nextPoll(.seconds(60), failures: 4), .wait(.seconds(60)),
                ]
            ),
            (
                .polled(.idle),
                [
                    Self.polled("idle"), .log(.notice("polling works again", ["was": "network_error"])),
                    .wait(.seconds(5)),
                ]
            ),
        ])
    }

    @Test(
        "revoked or not enrolled stops polling and withdraws the open prompt",
        arguments: [
            (DeviceCredentialError.Code.invalidCredential, PollStopReason.revoked),
            (.notEnrolled, .notEnrolled),
        ])
    func stops(code: DeviceCredentialError.Code, stop: PollStopReason) {
        play([
            (.polled(.pending(Self.first)), [Self.polled("pending"), .show(Self.first), .wait(.seconds(5))]),
            (
                Self.failure(code),
                [
                    .log(.debug("polled", ["outcome": "\(code.rawValue)"])), .log(PollerState.report(stop)),
                    .withdraw(challengeId: "c1"), .stop(stop),
                ]
            ),
        ])
    }
}
