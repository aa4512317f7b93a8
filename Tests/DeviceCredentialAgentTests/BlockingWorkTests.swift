import DeviceCredential
import DeviceCredentialAgent
import DeviceCredentialLocking
import DeviceCredentialTestSupport
import Foundation
import Testing

/// A slow keyring or TPM blocks its thread; the agent runs that work off Swift's cooperative pool, so it
/// never stalls another profile's poll or prompt. Real server and keys; the slowness is injected at the
/// key store.
@Suite("blocking work")
struct BlockingWorkTests {
    /// More blocked profiles than the cooperative pool has threads on the machines this runs on.
    static let slowProfiles = 8

    @Test("key stores blocked in every other profile: a challenge for a healthy profile is still shown")
    func slowKeyStoreDoesNotStallOthers() async throws {
        let backend = try TestServices.server()
        let home = try TestHome()
        let healthy = try await TestDevice.enroll(in: home, backend: backend)
        var slowNames: Set<String> = []
        for _ in 0..<Self.slowProfiles {
            slowNames.insert(try await TestDevice.enroll(in: home, backend: backend).profile.name)
        }
        let push = try await backend.pushChallenge(userID: healthy.userID)
        let gate = Gate()
        let prompter = RecordingPrompter(.answer(.unanswered))
        let fileKeyStore = home.fileKeyStore
        let names = slowNames
        let agent = DeviceCredentialAgent(
            configuration: AgentConfiguration(schedule: PollSchedule(interval: .seconds(5), jitter: 0)),
            profileStore: home.profileStore, prompter: prompter, clock: ParkedClock(),
            logger: LineLog().logger,
            makeClient: { profile, transport, logger in
                let keyStore: any KeyStore =
                    names.contains(profile.name) ? BlockingKeyStore(wrapping: fileKeyStore, gate: gate) : fileKeyStore
                return try DeviceCredentialClient(
                    profile: profile, keyStore: keyStore, transport: transport, logger: logger)
            })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await agent.run() }
            var requests = prompter.requests.makeAsyncIterator()
            let shown = await requests.next()
            #expect(shown?.challenge.challengeId == push.challengeID)
            // Shown while the slow profiles were still blocked, not once their key stores gave up.
            #expect(!gate.gaveUp)
            gate.open()
            group.cancelAll()
            try await group.waitForAll()
        }
    }
}

/// Holds key-store calls until opened, or for at most 20 s (then `gaveUp`): a bound, so code that stalls
/// on them fails the test instead of hanging it.
private final class Gate: Sendable {
    private let opened = DispatchSemaphore(value: 0)
    private let state = Locked((isOpen: false, gaveUp: false))

    var gaveUp: Bool { state.withLock { $0.gaveUp } }

    func pass() {
        if state.withLock({ $0.isOpen }) { return }
        if opened.wait(timeout: .now() + 20) == .timedOut {
            state.withLock { $0.gaveUp = true }
        } else {
            opened.signal()  // lets the next waiter through too
        }
    }

    func open() {
        state.withLock { $0.isOpen = true }
        opened.signal()
    }
}

/// A key store as slow as a hung keyring: every read waits at the gate.
private struct BlockingKeyStore: KeyStore {
    let wrapping: any KeyStore
    let gate: Gate

    var kind: KeyStoreKind { wrapping.kind }

    func storeKey(_ material: KeyMaterial, for item: KeyStoreItem) throws {
        gate.pass()
        try wrapping.storeKey(material, for: item)
    }

    func loadKey(profile: String) throws -> KeyMaterial? {
        gate.pass()
        return try wrapping.loadKey(profile: profile)
    }

    func deleteKey(profile: String) throws -> Bool {
        gate.pass()
        return try wrapping.deleteKey(profile: profile)
    }
}

/// A clock whose waits never end by themselves, only when the agent is cancelled.
private struct ParkedClock: AgentClock {
    var now: Date { Date() }

    func waitBeforeNextPoll(_ delay: Duration) async throws -> PollWait {
        try await Task.sleep(for: .seconds(86_400))
        return .elapsed
    }
}
