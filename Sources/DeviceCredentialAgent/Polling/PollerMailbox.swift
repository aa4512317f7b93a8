import DeviceCredentialLocking

/// What reaches a profile's poll loop from beside it: how a shown challenge's answering ended, and the
/// answer to the fatigue guard's warning. The loop takes them before its next event; a warning's answer
/// also ends the loop's wait, so "Deny all" and "Show anyway" act at once.
final class PollerMailbox: Sendable {
    enum Message: Sendable {
        case answered(challengeId: String, ShownOutcome)
        case warningAnswered(FatigueWarningDecision)

        var event: PollEvent {
            switch self {
            case .answered(let id, let outcome): return .answered(challengeId: id, outcome)
            case .warningAnswered(let decision): return .warningAnswered(decision)
            }
        }
    }

    private let messages = Locked<[Message]>([])
    /// Fired for messages the loop must act on at once.
    let urgent = ResumeSignal()

    func post(_ message: Message) {
        messages.withLock { $0.append(message) }
        if case .warningAnswered = message { urgent.fire() }
    }

    /// Every message posted since the last call, oldest first.
    func take() -> [Message] {
        messages.withLock { messages in
            defer { messages = [] }
            return messages
        }
    }
}
