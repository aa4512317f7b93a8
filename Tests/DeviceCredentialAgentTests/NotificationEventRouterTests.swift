import DeviceCredential
import Foundation
import Testing

@testable import DeviceCredentialAgent

/// Which notification signals the agent believes (the rules; the agent tests drive them over a real bus).
@Suite("Notification event router")
struct NotificationEventRouterTests {
    let server = ":1.7"

    private func router(owner: String? = ":1.7") -> NotificationEventRouter {
        let router = NotificationEventRouter()
        router.adoptInitialOwner(owner)
        return router
    }

    @Test("a click from the server that showed the notification is delivered, early or late")
    func ownersClick() async {
        let router = router()
        router.notificationGiven(3, by: server)
        router.deliver(.action("approve"), for: 3, from: server)
        router.deliver(.closed, for: 3, from: server)
        #expect(await router.nextEvent(for: 3) == .action("approve"))
    }

    @Test("a signal from any other sender, or about an id not given to us, is dropped")
    func forgedSignalsDropped() async throws {
        let router = router()
        // Forged ahead of time, for the id the server will give next.
        router.deliver(.action("approve"), for: 4, from: ":1.99")
        router.deliver(.action("approve"), for: 4, from: server)
        router.notificationGiven(4, by: server)
        // Forged once given, by another connection.
        router.deliver(.action("approve"), for: 4, from: ":1.99")
        router.deliver(.closed, for: 4, from: "org.freedesktop.Notifications")
        // A reply from someone else does not make an id ours.
        router.notificationGiven(5, by: ":1.99")
        router.deliver(.action("approve"), for: 5, from: server)
        router.deliver(.action("deny"), for: 4, from: server)
        #expect(await router.nextEvent(for: 4) == .action("deny"))
        #expect(await router.nextEvent(for: 5) == .serverGone)
    }

    @Test("a new owner forgets everything: waiters learn the server is gone, reused ids start clean")
    func ownerChangeForgets() async throws {
        let router = router()
        router.notificationGiven(1, by: server)
        router.deliver(.closed, for: 2, from: server)
        async let waiting = router.nextEvent(for: 1)
        router.ownerChanged(to: nil)
        #expect(await waiting == .serverGone)
        router.ownerChanged(to: ":1.8")
        #expect(router.owner == ":1.8")
        router.deliver(.closed, for: 1, from: server)
        router.notificationGiven(1, by: ":1.8")
        router.deliver(.action("approve"), for: 1, from: ":1.8")
        #expect(await router.nextEvent(for: 1) == .action("approve"))
    }

    @Test("the start-up owner does not override an owner change already seen")
    func signalWinsOverStartUpAnswer() {
        let router = NotificationEventRouter()
        router.ownerChanged(to: ":1.9")
        router.adoptInitialOwner(":1.7")
        #expect(router.owner == ":1.9")
    }

    @Test("waiting for a server returns once one owns the name, and on cancellation")
    func waitForOwner() async {
        let router = router(owner: nil)
        async let waited: Void = router.waitForOwner()
        router.ownerChanged(to: ":1.3")
        await waited
        let cancelled = Task { await router.waitForOwner() }
        cancelled.cancel()
        await cancelled.value
    }

    @Test("a cancelled wait for an event ends as withdrawn")
    func cancelledWait() async {
        let router = router()
        router.notificationGiven(6, by: server)
        let waiting = Task { await router.nextEvent(for: 6) }
        waiting.cancel()
        #expect(await waiting.value == .withdrawn)
    }
}

@Suite("Notification text")
struct NotificationTextTests {
    @Test("the expiry is a local clock time, with the date when not today; absurd times give none")
    func expiryClockTime() throws {
        let now = Date()
        let soon = try #require(ChallengeText.expiryClockTime(now.addingTimeInterval(300), now: now))
        #expect(soon.contains(/^\d\d:\d\d$/) || soon.contains(/^\d{4}-\d\d-\d\d \d\d:\d\d$/))
        let later = try #require(ChallengeText.expiryClockTime(now.addingTimeInterval(3 * 86400), now: now))
        #expect(later.contains(/^\d{4}-\d\d-\d\d \d\d:\d\d$/))
        #expect(ChallengeText.expiryClockTime(Date(timeIntervalSince1970: 1e300), now: now) == nil)
        #expect(ChallengeText.expiryClockTime(Date(timeIntervalSince1970: -1e300), now: now) == nil)
    }

    @Test("the code dialog's text escapes the action for Pango (zenity, kdialog)")
    func codeDialogText() {
        let request = PromptRequest(
            challenge: AppChallenge(challengeId: "c", userAuthenticatorId: "a", actionCode: "<b>pay</b> & \u{1B}x"),
            profileName: "p",
            needsVerificationCode: true, timeLeft: nil)
        #expect(
            CodeEntryDialog.text(for: request)
                == #"Type the code shown in the browser to approve &lt;b&gt;pay&lt;/b&gt; &amp; \ex"#)
    }
}
