import DeviceCredential
import DeviceCredentialAgent
import DeviceCredentialTestSupport
import Foundation
import HTTPTypes
import Logging
import Testing

/// The polling loop in process, driven by a manual clock: no real interval passes. Real server and
/// real keys; faults are injected at the transport.
@Suite("polling loop")
struct PollingLoopTests {
    let backend: ServerAPI
    let home: TestHome
    let clock = ManualClock()
    let transport = FaultyTransport()
    let log = LineLog()

    init() throws {
        backend = try TestServices.server()
        home = try TestHome()
    }

    /// Runs the agent for `device` with `prompter` while `body` drives it, then stops it.
    private func withAgent(
        _ device: TestDevice, prompter: RecordingPrompter, _ body: () async throws -> Void
    ) async throws {
        let keyStore = home.fileKeyStore
        let agent = DeviceCredentialAgent(
            configuration: AgentConfiguration(
                profileNames: [device.profile.name], schedule: PollSchedule(interval: .seconds(5), jitter: 0)),
            profileStore: home.profileStore, prompter: prompter, clock: clock, transport: transport,
            logger: log.logger,
            makeClient: { profile, transport, logger in
                try DeviceCredentialClient(profile: profile, keyStore: keyStore, transport: transport, logger: logger)
            })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await agent.run() }
            try await body()
            group.cancelAll()
            // The loop may be parked in a wait the test holds: end it so the agent sees the cancellation.
            if let wait = try? await clock.nextWaitIfAny() { wait.end() }
            try await group.waitForAll()
        }
    }

    @Test("polls at once at start, backs off exponentially to 60 s on errors, back to the interval on success")
    func backoff() async throws {
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let push = try await backend.pushChallenge(userID: device.userID)
        let prompter = RecordingPrompter(.answer(.unanswered))
        try await withAgent(device, prompter: prompter) {
            // No wait was ended yet, so this prompt comes from the poll at start.
            var requests = prompter.requests.makeAsyncIterator()
            #expect(await requests.next()?.challenge.challengeId == push.challengeID)
            var wait = try await clock.nextWait()
            #expect(wait.delay == .seconds(5))

            transport.fail(status: 503)
            var delays: [Duration] = []
            for _ in 0..<5 {
                wait.end()
                wait = try await clock.nextWait()
                delays.append(wait.delay)
            }
            #expect(delays == [.seconds(10), .seconds(20), .seconds(40), .seconds(60), .seconds(60)])

            transport.heal()
            wait.end()
            wait = try await clock.nextWait()
            #expect(wait.delay == .seconds(5))
            wait.end()
        }
    }

    @Test("honours a 429's Retry-After")
    func retryAfter() async throws {
        let device = try await TestDevice.enroll(in: home, backend: backend)
        try await withAgent(device, prompter: RecordingPrompter(.answer(.unanswered))) {
            var wait = try await clock.nextWait()
            transport.fail(status: 429, headers: [.retryAfter: "120"], errorCode: "too_many_requests")
            wait.end()
            wait = try await clock.nextWait()
            #expect(wait.delay == .seconds(120))
            wait.end()
        }
    }

    @Test("a resume from suspend polls at once and forgets the back-off")
    func resume() async throws {
        let device = try await TestDevice.enroll(in: home, backend: backend)
        try await withAgent(device, prompter: RecordingPrompter(.answer(.unanswered))) {
            var wait = try await clock.nextWait()
            transport.fail(status: 503)
            for expected in [10, 20, 40] {
                wait.end()
                wait = try await clock.nextWait()
                #expect(wait.delay == .seconds(expected))
            }
            // Resumed in the middle of the 40 s back-off: the poll comes now, and the next failure waits 10 s.
            wait.end(.resumed)
            wait = try await clock.nextWait()
            #expect(wait.delay == .seconds(10))
            wait.end()
        }
    }

    @Test("a challenge answered elsewhere takes the prompt away")
    func withdrawn() async throws {
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let push = try await backend.pushChallenge(userID: device.userID)
        let prompter = RecordingPrompter(.waitUntilWithdrawn)
        try await withAgent(device, prompter: prompter) {
            var requests = prompter.requests.makeAsyncIterator()
            #expect(await requests.next()?.challenge.challengeId == push.challengeID)
            let wait = try await clock.nextWait()
            try await device.client().updateChallenge(challengeId: push.challengeID, approved: false)
            wait.end()
            var withdrawn = prompter.withdrawn.makeAsyncIterator()
            #expect(await withdrawn.next() == push.challengeID)
        }
    }

    @Test("an approval is sent with the person's decision; number matching sends the code")
    func approvalSent() async throws {
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let push = try await backend.pushChallenge(userID: device.userID)
        let prompter = RecordingPrompter(.answer(.approve(verificationCode: nil)))
        try await withAgent(device, prompter: prompter) {
            var requests = prompter.requests.makeAsyncIterator()
            let request = await requests.next()
            #expect(request?.needsVerificationCode == false)
            #expect((request?.timeLeft ?? .zero) > .zero)
            try await log.waitForLine(containing: "challenge approved")
            let verdict = try await backend.poll(push)
            #expect(verdict == .init(isVerified: true, isConsumed: true))
        }
    }
}

extension ManualClock {
    /// The next wait, if the agent asks for one soon (it may have stopped already).
    func nextWaitIfAny() async throws -> PendingWait? {
        await withTaskGroup(of: PendingWait?.self) { group in
            group.addTask { await self.nextWaitOrNil() }
            group.addTask {
                try? await Task.sleep(for: .seconds(2))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
