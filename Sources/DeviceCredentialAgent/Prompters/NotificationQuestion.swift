import DeviceCredential

/// One question with buttons in a freedesktop notification, for a command that needs a person's yes
/// outside the agent (`devicecred open`). As for the agent's prompts, only the current notification
/// server's signals about the notification it showed count (see ``NotificationEventRouter``): another
/// process on the session bus cannot click a button for the person.
///
/// Never starts a notification server (no D-Bus activation is relied on): a question is asked only when one
/// runs and shows buttons, otherwise the caller asks elsewhere.
public final class NotificationQuestion: Sendable {
    /// What became of the question.
    public enum Answer: Sendable, Equatable {
        /// A button was clicked: its key.
        case action(String)
        /// Closed without a button, or the notification server went away with it.
        case dismissed
        /// No answer within the time given; the notification was taken away.
        case timedOut
    }

    private let bus: NotificationBus
    private let appName: String

    /// Connects to the session bus. Throws `dbus_unavailable` or `prompt_failed` when there is none.
    public init(appName: String) throws {
        bus = try NotificationBus()
        self.appName = appName
    }

    /// Whether a notification server runs now and shows buttons (its `actions` capability).
    public func canAsk() -> Bool {
        guard bus.hasNotificationServer(), let capabilities = try? bus.capabilities() else { return false }
        return capabilities.contains("actions")
    }

    /// Whether the server reads body markup: then bodies are written with `DisplayText.markup`, else with
    /// `DisplayText.terminal` (an escaped `&amp;` would show as typed).
    public func readsMarkup() -> Bool {
        (try? bus.capabilities())?.contains("body-markup") ?? false
    }

    /// Shows the question (critical, so it stays) and waits for a believable answer for at most `timeout`.
    /// The notification is taken away whatever the answer.
    public func ask(summary: String, body: String, actions: [(key: String, label: String)], timeout: Duration)
        async throws -> Answer
    {
        let id = try bus.notify(
            summary: summary, body: body, actions: actions, hints: NotificationHints(urgency: 2, category: "device"),
            appName: appName)
        defer { bus.close(id: id) }
        let event = await withTaskGroup(of: NotificationEvent?.self) { group in
            group.addTask { [bus] in await bus.nextEvent(for: id) }
            group.addTask {
                // A bound, not a synchronisation: the question is worth nothing once its token expired.
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        switch event {
        case .action(let key): return .action(key)
        case .closed, .serverGone: return .dismissed
        case .withdrawn, nil: return .timedOut
        }
    }

    /// Shows a notification without buttons (normal urgency), e.g. what came of the answer. Best effort:
    /// a server that is gone by now changes nothing.
    public func tell(summary: String, body: String) {
        _ = try? bus.notify(
            summary: summary, body: body, actions: [], hints: NotificationHints(urgency: 1, category: "device"),
            appName: appName)
    }
}
