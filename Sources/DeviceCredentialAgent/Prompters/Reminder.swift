import DeviceCredential
import FoundationEssentials
import Logging

/// Something the person must do that no challenge asks for: renew a credential whose key needs a PIN before
/// it expires. Told without buttons; the agent also logs it.
public struct Reminder: Sendable, Equatable {
    public var title: String
    public var lines: [String]

    /// Run `devicecred refresh --reset-expiry` before `expiresAt`: the agent cannot, the key needs a PIN.
    static func renewByHand(profile: String, expiresAt: Date) -> Reminder {
        let option = profile == DeviceProfile.defaultName ? "" : " --profile \(profile)"
        return Reminder(
            title: "Your sign-in approval expires soon",
            lines: [
                "Profile \(profile) stops working on \(localTime(expiresAt)) unless you renew it.",
                "Its key needs your PIN, so renew it by hand: devicecred refresh --reset-expiry\(option)",
            ])
    }

    /// `2026-12-07 14:05`, in local time.
    static func localTime(_ date: Date) -> String {
        let parts = Calendar.current.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let two = { (value: Int?) in value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "??" }
        return "\(parts.year.map(String.init) ?? "????")-\(two(parts.month))-\(two(parts.day)) "
            + "\(two(parts.hour)):\(two(parts.minute))"
    }
}

/// A prompter that can show a ``Reminder``: the notification (no buttons) and the terminal (a line). A
/// command prompter has no such message; the log line stands.
public protocol ReminderShowing: Sendable {
    func remind(_ reminder: Reminder) async throws
}

extension NotificationPrompter: ReminderShowing {
    public func remind(_ reminder: Reminder) async throws {
        guard bus.hasNotificationServer() || bus.isActivatable() else { return }
        let shown = try await BlockingWorkExecutor(label: "devicecred.notify").run { () throws -> UInt32 in
            let markup = ((try? self.bus.capabilities()) ?? []).contains("body-markup")
            let body = reminder.lines.map { markup ? DisplayText.markup($0) : DisplayText.terminal($0) }
            return try self.bus.notify(
                summary: reminder.title, body: body.joined(separator: "\n"), actions: [],
                hints: NotificationHints(urgency: 1, category: "device"))
        }
        logger.debug("reminder shown", metadata: ["notificationId": "\(shown)"])
    }
}

extension TerminalPrompter: ReminderShowing {
    public func remind(_ reminder: Reminder) async throws {
        let terminal = try TerminalLineReader(path: path)
        try await runOffCooperativePool {
            terminal.write("\n" + DisplayText.terminal(reminder.title) + "\n")
            for line in reminder.lines { terminal.write("  " + DisplayText.terminal(line) + "\n") }
        }
    }
}
