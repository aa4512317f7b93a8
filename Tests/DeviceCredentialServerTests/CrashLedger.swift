import AuthsignalTestDevice
import DeviceCredentialLocking
import Foundation

/// What the clients of the crash test were told: every 2xx answer to a write, which must still be visible
/// after the server is killed and restarted, and what was sent without an answer (it may or may not be).
final class CrashLedger: Sendable {
    struct Credential: Sendable, Equatable {
        var userId: String
        var publicKey: String
        var method: String
    }

    /// The answer a device was told it gave to a push or QR-code challenge.
    enum Answer: Sendable, Equatable {
        case approved
        case refused
    }

    /// The push tokens of one credential: the last one acknowledged, and those sent after it without an
    /// answer (one of them may have been written before the kill).
    struct PushTokens: Sendable {
        var acknowledged: String?
        var sentSince: Set<String> = []
    }

    struct State: Sendable {
        var credentials: [String: Credential] = [:]
        /// Idempotency key to user id.
        var actions: [String: String] = [:]
        /// Push challenge id to its action's idempotency key.
        var challenges: [String: String] = [:]
        var answers: [String: Answer] = [:]
        var qrChallenges: Set<String> = []
        var qrAnswers: [String: Answer] = [:]
        /// Actions an acknowledged in-app verification created, succeeded.
        var inAppActions: Set<String> = []
        var pushTokens: [String: PushTokens] = [:]
        /// Nonces and in-app challenge ids handed out and not used yet, to be used after the restart.
        var bankedNonces: [(device: TestDevice, message: String)] = []
        var bankedInApp: [(device: TestDevice, challengeId: String)] = []
        var acknowledged = 0
        var killed = false
        var failures: [String] = []
    }

    let state = Locked(State())
    private let watcher = Locked<AsyncStream<Int>.Continuation?>(nil)

    /// Counts one acknowledged write after `record` notes it, and tells the watcher.
    func acknowledge(_ record: (inout State) -> Void = { _ in }) {
        let count = state.withLock {
            record(&$0)
            $0.acknowledged += 1
            return $0.acknowledged
        }
        _ = watcher.withLock { $0?.yield(count) }
    }

    func note(_ record: (inout State) -> Void) { state.withLock { record(&$0) } }

    /// The count of acknowledged writes as each arrives, until `stopWatching`.
    func watch() -> AsyncStream<Int> {
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        watcher.withLock { $0 = continuation }
        return stream
    }

    func stopWatching() { watcher.withLock { $0?.finish() } }

    var acknowledged: Int { state.withLock { $0.acknowledged } }
    var killed: Bool { state.withLock { $0.killed } }

    /// A failure of the server's behaviour; an error once the kill is on its way is expected.
    func fail(_ message: String) { state.withLock { $0.failures.append(message) } }

    /// An answer that is neither what the flow expects nor the result of the kill.
    func unexpected(_ reply: Reply, _ step: String) {
        fail("\(step) answered \(reply.status.code): \(reply.text)")
    }
}
