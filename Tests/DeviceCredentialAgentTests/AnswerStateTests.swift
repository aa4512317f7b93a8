import DeviceCredential
import Logging
import Testing

@testable import DeviceCredentialAgent

/// The rules of answering one challenge as tables: each row an event and the effects it must give.
/// No prompter, key or server.
@Suite("answer state")
struct AnswerStateTests {
    typealias Step = (event: AnswerEvent, effects: [AnswerEffect])

    struct Failure: Error, CustomStringConvertible {
        var description: String { "boom" }
    }

    static let challenge = AppChallenge(
        challengeId: "c1", userAuthenticatorId: "ua", actionCode: "signIn", ipAddress: "203.0.113.9")
    static let received = AnswerEffect.log(
        .info("challenge received", ["action": "signIn", "ipAddress": "203.0.113.9"]))
    static let withdrawn = AnswerEffect.log(.info("challenge withdrawn: answered elsewhere or expired"))

    private func play(
        _ steps: [Step], numberMatching: Bool = false, profileName: String = DeviceProfile.defaultName,
        pinPrompter: Bool = true, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let profile = try DeviceProfile(
            name: profileName, apiURL: "https://api.example.com/v1", tenantID: "t", usesNumberMatching: numberMatching)
        var state = AnswerState(challenge: Self.challenge, profile: profile, hasPINPrompter: pinPrompter)
        #expect(state.handle(.started) == [Self.received, .askDecision], sourceLocation: sourceLocation)
        for (index, step) in steps.enumerated() {
            #expect(state.handle(step.event) == step.effects, "step \(index)", sourceLocation: sourceLocation)
        }
    }

    @Test("approve and deny without a PIN: sent once, the result logged")
    func withoutPIN() throws {
        try play([
            (.decided(.approve(verificationCode: "12")), [.checkKeyPIN]),
            (.keyNeedsPIN(.success(false)), [.send(approved: true, code: nil, pin: nil)]),
            (
                .sent(.accepted(isVerified: true)),
                [.log(.notice("challenge approved", ["isVerified": "true"])), .finish]
            ),
        ])
        try play([
            (.decided(.deny), [.checkKeyPIN]),
            (.keyNeedsPIN(.success(false)), [.send(approved: false, code: nil, pin: nil)]),
            (
                .sent(.accepted(isVerified: false)),
                [.log(.notice("challenge denied", ["isVerified": "false"])), .finish]
            ),
        ])
    }

    @Test(
        "an answer that was not sent says why (for the D-Bus API's named errors)",
        arguments: [
            (AnswerEvent.pinTyped(nil), AnswerNotSent.pinFailed),
            (.pinPromptFailed(Failure()), .pinFailed),
            (.sent(.lockedOut), .pinFailed),
            (.keyNeedsPIN(.failure(DeviceCredentialError(code: .keyringLocked, message: "locked"))), .keyringLocked),
            (.sent(.failed(DeviceCredentialError(code: .invalidCredential, message: "revoked"))), .notEnrolled),
            (.sent(.failed(DeviceCredentialError(code: .notEnrolled, message: "no key"))), .notEnrolled),
            (.sent(.failed(DeviceCredentialError(code: .networkError, message: "down"))), .failed),
            (.sent(.failed(Failure())), .failed),
        ])
    func notSentReason(event: AnswerEvent, reason: AnswerNotSent) throws {
        let profile = try DeviceProfile(name: "default", apiURL: "https://api.example.com/v1", tenantID: "t")
        var state = AnswerState(challenge: Self.challenge, profile: profile, hasPINPrompter: true)
        _ = state.handle(.started)
        _ = state.handle(.decided(.approve(verificationCode: nil)))
        _ = state.handle(.keyNeedsPIN(.success(true)))
        #expect(state.notSent == nil)
        _ = state.handle(event)
        #expect(state.notSent == reason)
    }

    @Test("This wasn't me: denied as a denial is, then reported before finishing, whether the denial went or not")
    func report() throws {
        let reporting = AnswerEffect.log(.notice("challenge reported as not mine; denying it"))
        try play([
            (.decided(.report), [reporting, .checkKeyPIN]),
            (.keyNeedsPIN(.success(false)), [.send(approved: false, code: nil, pin: nil)]),
            (
                .sent(.accepted(isVerified: false)),
                [
                    .log(.notice("challenge denied and reported", ["isVerified": "false"])), .report(denied: true),
                    .finish,
                ]
            ),
        ])
        // Withdrawn while the PIN is asked: nothing sent, still reported.
        try play([
            (.decided(.report), [reporting, .checkKeyPIN]),
            (.keyNeedsPIN(.success(true)), [.askPIN(attempt: 1)]),
            (.withdrawn, [Self.withdrawn, .report(denied: false), .finish]),
        ])
        // The denial failed to send: reported, and said not denied.
        try play([
            (.decided(.report), [reporting, .checkKeyPIN]),
            (.keyNeedsPIN(.success(false)), [.send(approved: false, code: nil, pin: nil)]),
            (
                .sent(.failed(Failure())),
                [.log(.error("could not send the answer", ["error": "boom"])), .report(denied: false), .finish]
            ),
        ])
        // A plain denial is never reported.
        try play([
            (.decided(.deny), [.checkKeyPIN]),
            (.keyNeedsPIN(.success(false)), [.send(approved: false, code: nil, pin: nil)]),
            (.sent(.failed(Failure())), [.log(.error("could not send the answer", ["error": "boom"])), .finish]),
        ])
    }

    @Test("withdrawn, unanswered, a failed prompt, or no code under number matching: nothing is sent")
    func nothingSent() throws {
        try play([(.withdrawn, [Self.withdrawn, .finish])])
        try play([(.decided(.unanswered), [.log(.info("challenge left unanswered")), .finish])])
        try play([
            (
                .promptFailed(Failure()),
                [.log(.error("prompt failed", ["error": "boom"])), .log(.info("challenge left unanswered")), .finish]
            )
        ])
        try play(
            [
                (
                    .decided(.approve(verificationCode: "")),
                    [
                        .log(.warning("approval without the number-matching code refused; challenge left unanswered")),
                        .finish,
                    ]
                )
            ], numberMatching: true)
        try play([
            (
                .keyNeedsPIN(.failure(Failure())),
                [.log(.error("could not send the answer", ["error": "boom"])), .finish]
            )
        ])
    }

    @Test("the number-matching code is sent only when the profile uses number matching")
    func code() throws {
        try play(
            [
                (.decided(.approve(verificationCode: "42")), [.checkKeyPIN]),
                (.keyNeedsPIN(.success(false)), [.send(approved: true, code: "42", pin: nil)]),
            ], numberMatching: true)
    }

    @Test("a refused approval names the number-matching setting, with the profile when not the default")
    func refusedApproval() throws {
        let steps: (String) -> [Step] = { option in
            [
                (.decided(.approve(verificationCode: nil)), [.checkKeyPIN]),
                (.keyNeedsPIN(.success(false)), [.send(approved: true, code: nil, pin: nil)]),
                (
                    .sent(.accepted(isVerified: false)),
                    [
                        .log(
                            .error(
                                "the server refused the approval (isVerified=false); if the sign-in shows a number, enable number matching",
                                ["fix": "devicecred profile set --number-matching on\(option)"])), .finish,
                    ]
                ),
            ]
        }
        try play(steps(""))
        try play(steps(" --profile work"), profileName: "work")
    }

    @Test("a wrong PIN asks again up to three tries in all, then leaves the challenge unanswered")
    func wrongPINs() throws {
        let tooLong = String(repeating: "9", count: TPMKeyFactory.maximumPINLength + 1)
        try play([
            (.decided(.deny), [.checkKeyPIN]),
            (.keyNeedsPIN(.success(true)), [.askPIN(attempt: 1)]),
            (.pinTyped("1111"), [.send(approved: false, code: nil, pin: "1111")]),
            (
                .sent(.wrongPIN),
                [.log(.warning("wrong PIN", ["attempt": "1", "attemptsLeft": "2"])), .askPIN(attempt: 2)]
            ),
            // Too long for any key: wrong without asking the TPM.
            (
                .pinTyped(tooLong),
                [.log(.warning("wrong PIN", ["attempt": "2", "attemptsLeft": "1"])), .askPIN(attempt: 3)]
            ),
            (.pinTyped("2222"), [.send(approved: false, code: nil, pin: "2222")]),
            (
                .sent(.wrongPIN),
                [
                    .log(.warning("wrong PIN", ["attempt": "3", "attemptsLeft": "0"])),
                    .log(.error("wrong PIN too many times; challenge left unanswered", ["attempts": "3"])), .finish,
                ]
            ),
        ])
    }

    @Test("a right PIN after a wrong one sends the answer")
    func rightPINSecondTime() throws {
        try play([
            (.decided(.approve(verificationCode: nil)), [.checkKeyPIN]),
            (.keyNeedsPIN(.success(true)), [.askPIN(attempt: 1)]),
            (.pinTyped("1111"), [.send(approved: true, code: nil, pin: "1111")]),
            (
                .sent(.wrongPIN),
                [.log(.warning("wrong PIN", ["attempt": "1", "attemptsLeft": "2"])), .askPIN(attempt: 2)]
            ),
            (.pinTyped("1234"), [.send(approved: true, code: nil, pin: "1234")]),
            (
                .sent(.accepted(isVerified: true)),
                [.log(.notice("challenge approved", ["isVerified": "true"])), .finish]
            ),
        ])
    }

    @Test("no PIN given, a failed or withdrawn PIN prompt, a lockout, or no PIN prompter: left unanswered")
    func pinEnds() throws {
        let toPIN: [Step] = [(.decided(.deny), [.checkKeyPIN]), (.keyNeedsPIN(.success(true)), [.askPIN(attempt: 1)])]
        try play(toPIN + [(.pinTyped(nil), [.log(.info("no PIN given; challenge left unanswered")), .finish])])
        try play(toPIN + [(.pinTyped(""), [.log(.info("no PIN given; challenge left unanswered")), .finish])])
        try play(toPIN + [(.withdrawn, [Self.withdrawn, .finish])])
        try play(
            toPIN + [
                (
                    .pinPromptFailed(Failure()),
                    [.log(.error("PIN prompt failed; challenge left unanswered", ["error": "boom"])), .finish]
                )
            ])
        try play(
            toPIN + [
                (.pinTyped("1234"), [.send(approved: false, code: nil, pin: "1234")]),
                (
                    .sent(.lockedOut),
                    [
                        .log(
                            .error(
                                "the TPM is locked out after too many wrong PINs; challenge left unanswered",
                                ["hint": "\(AnswerState.lockoutRecovery)"])), .finish,
                    ]
                ),
            ])
        try play(
            [
                (.decided(.deny), [.checkKeyPIN]),
                (
                    .keyNeedsPIN(.success(true)),
                    [
                        .log(
                            .error(
                                "this profile's TPM key needs a PIN: install pinentry or pass --pin-command; challenge left unanswered"
                            )), .finish,
                    ]
                ),
            ], pinPrompter: false)
    }
}
