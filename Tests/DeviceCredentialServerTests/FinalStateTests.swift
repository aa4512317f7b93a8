import AuthsignalTestDevice
import DeviceCredentialServer
import Foundation
import Testing

/// An action out of `CHALLENGE_REQUIRED` is final for device answers, and a new push supersedes the
/// action's earlier ones: no answer can turn a blocked, failed or succeeded action into something else.
@Suite struct FinalStateTests {
    typealias Store = RepositoryContractTests.Store

    @Test(arguments: Store.allCases)
    func anApprovalAfterTheBackendBlockedTheActionIsRefused(store: Store) async throws {
        try await withServer(on: store) { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let tracked = try await harness.track("alice")
            let challengeId = try #require(try await harness.startPush(tracked.token).string("challengeId"))
            let path = "users/alice/actions/signIn/\(tracked.idempotencyKey)"
            #expect(try await harness.send(.patch, path, auth: .secret(), json: ["state": "BLOCK"]).status == .ok)

            // The device no longer sees it, and answering it anyway is refused and changes nothing.
            #expect(try await harness.getChallenge(device).string("challengeId") == nil)
            let answer = try await harness.answer(device, challengeId, approved: true)
            #expect(answer.status == .conflict && answer.isError("invalid_request"))
            #expect(answer.string("errorDescription")?.contains("BLOCK") == true)
            let validated = try await harness.validate(tracked.token)
            #expect(validated.bool("isValid") == false && validated.string("state") == "BLOCK")
            let polled = try await harness.poll(tracked.token, challengeId)
            #expect(polled.bool("isVerified") == false && polled.string("accessToken") == nil)
            let authenticators = try await harness.send(.get, "users/alice/authenticators", auth: .secret())
            #expect(authenticators.array.first?["lastVerifiedAt"] == nil)
        }
    }

    @Test(arguments: Store.allCases)
    func aNewPushSupersedesTheEarlierOneSoADenialCannotBeOutvoted(store: Store) async throws {
        try await withServer(on: store) { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let tracked = try await harness.track("alice")
            let first = try #require(try await harness.startPush(tracked.token).string("challengeId"))
            let second = try #require(try await harness.startPush(tracked.token).string("challengeId"))

            // The browser polling the first push learns it is over, without a token.
            let polled = try await harness.poll(tracked.token, first)
            #expect(polled.bool("isConsumed") == true && polled.bool("isVerified") == false)
            #expect(polled.string("accessToken") == nil)
            #expect(try await harness.getChallenge(device).string("challengeId") == second)

            #expect(try await harness.answer(device, second, approved: false).bool("isVerified") == false)
            let outvote = try await harness.answer(device, first, approved: true)
            #expect(outvote.status == .conflict && outvote.isError("invalid_request"))
            let validated = try await harness.validate(tracked.token)
            #expect(validated.bool("isValid") == false && validated.string("state") == "CHALLENGE_FAILED")
        }
    }

    @Test(arguments: Store.allCases)
    func aValidatedSuccessCannotBeFlippedByALaterAnswer(store: Store) async throws {
        try await withServer(on: store) { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let tracked = try await harness.track("alice")
            let first = try #require(try await harness.startPush(tracked.token).string("challengeId"))
            let second = try #require(try await harness.startPush(tracked.token).string("challengeId"))
            #expect(try await harness.answer(device, second, approved: true).bool("isVerified") == true)
            let accessToken = try #require(try await harness.poll(tracked.token, second).string("accessToken"))
            #expect(try await harness.validate(accessToken).bool("isValid") == true)

            let late = try await harness.answer(device, first, approved: false)
            #expect(late.status == .conflict && late.isError("invalid_request"))
            let again = try await harness.answer(device, second, approved: false)
            #expect(again.status == .conflict && again.isError("invalid_request"))
            let validated = try await harness.validate(accessToken)
            #expect(validated.bool("isValid") == true && validated.string("state") == "CHALLENGE_SUCCEEDED")
        }
    }

    @Test func theHostedWaitingPageOfASupersededPushSaysSo() async throws {
        try await withServer { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let tracked = try await harness.track("alice")
            let first = try #require(try await harness.startPush(tracked.token).string("challengeId"))
            _ = try await harness.startPush(tracked.token)
            let page = try await harness.send(.get, "/v1/ui/wait?token=\(tracked.token)&challengeId=\(first)")
            #expect(page.status == .ok && page.text.contains("This push was replaced"))
            #expect(!page.text.contains("http-equiv=\"refresh\""))
        }
    }
}
