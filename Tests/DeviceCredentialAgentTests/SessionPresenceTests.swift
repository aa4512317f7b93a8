import Testing

@testable import DeviceCredentialAgent

/// The rules of presence and resume, without logind: what releases a waiting prompt and what does not.
@Suite("session presence and resume signal")
struct SessionPresenceTests {
    @Test(
        "present only when active and unlocked",
        arguments: [(true, false, true), (true, true, false), (false, false, false), (false, true, false)])
    func presentOnlyWhenActiveAndUnlocked(active: Bool, locked: Bool, present: Bool) {
        #expect(SessionPresence.State(active: active, locked: locked).isPresent == present)
    }

    @Test("a prompt waiting behind the lock is released by the unlock, not by becoming active while locked")
    func releasedByUnlock() async {
        let presence = SessionPresence(.init(active: false, locked: true))
        let (released, mark) = AsyncStream.makeStream(of: Void.self)
        let waiter = Task {
            await presence.waitUntilPresent()
            mark.yield()
        }
        #expect(presence.update(active: true))
        #expect(!presence.update(active: true))  // no change, nothing to say
        #expect(!presence.state.isPresent)
        #expect(presence.update(locked: false))
        var iterator = released.makeAsyncIterator()
        await iterator.next()
        await waiter.value
        #expect(presence.state == .init(active: true, locked: false))
    }

    @Test("a cancelled wait returns (a withdrawn challenge does not keep its waiter)")
    func cancelledWaitReturns() async {
        let presence = SessionPresence(.init(active: true, locked: true))
        let waiter = Task { await presence.waitUntilPresent() }
        waiter.cancel()
        await waiter.value
        #expect(!presence.state.isPresent)
    }

    @Test("the resume-aware clock ends a long wait with .resumed when the machine resumes", .timeLimit(.minutes(1)))
    func resumeEndsWait() async throws {
        let resumes = ResumeSignal()
        let clock = ResumeAwareClock(resumes: resumes)
        let wait = Task { try await clock.waitBeforeNextPoll(.seconds(3600)) }
        // Only a resume after the wait began counts, and the test cannot see when it began: keep resuming.
        let resuming = Task {
            while !Task.isCancelled {
                resumes.fire()
                await Task.yield()
            }
        }
        defer { resuming.cancel() }
        #expect(try await wait.value == .resumed)
    }

    @Test("without a resume the wait lasts its delay and says .elapsed")
    func elapsedWithoutResume() async throws {
        let clock = ResumeAwareClock(resumes: ResumeSignal())
        #expect(try await clock.waitBeforeNextPoll(.milliseconds(1)) == .elapsed)
    }

    @Test("cancelling the wait throws CancellationError, as the system clock does")
    func cancelledWaitThrows() async {
        let clock = ResumeAwareClock(resumes: ResumeSignal())
        let wait = Task { try await clock.waitBeforeNextPoll(.seconds(3600)) }
        wait.cancel()
        await #expect(throws: CancellationError.self) { try await wait.value }
    }
}
