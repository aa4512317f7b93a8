import DeviceCredential
import FoundationEssentials
import Logging

// The fatigue guard's warning on each prompter that can ask: notification buttons "Deny all" and "Show
// anyway"; the terminal's d / s; the command's exit status (1 denies all, 0 with "show" shows anyway).

extension NotificationPrompter: FatigueWarningPrompter {
    public func warn(_ warning: FatigueWarning) async throws -> FatigueWarningDecision {
        guard bus.hasNotificationServer() || bus.isActivatable() else {
            logger.notice("no notification server for the fatigue warning; devicecred challenge lists what is held")
            return .dismissed
        }
        let shown = try await BlockingWorkExecutor(label: "devicecred.notify").run { () throws -> UInt32 in
            let capabilities = (try? self.bus.capabilities()) ?? []
            let markup = capabilities.contains("body-markup")
            let render = { (text: String) in markup ? DisplayText.markup(text) : DisplayText.terminal(text) }
            return try self.bus.notify(
                summary: FatigueWarningText.title,
                body: FatigueWarningText.details(for: warning, rendering: render).joined(separator: "\n"),
                actions: [(key: "deny-all", label: "Deny all"), (key: "show-anyway", label: "Show anyway")],
                hints: NotificationHints(urgency: 2, category: "device"))
        }
        defer { bus.close(id: shown) }
        logger.debug("fatigue warning shown", metadata: ["notificationId": "\(shown)"])
        switch await bus.nextEvent(for: shown) {
        case .action("deny-all"): return .denyAll
        case .action("show-anyway"): return .showAnyway
        case .withdrawn:
            try Task.checkCancellation()
            return .dismissed
        default: return .dismissed
        }
    }
}

extension TerminalPrompter: FatigueWarningPrompter {
    public func warn(_ warning: FatigueWarning) async throws -> FatigueWarningDecision {
        let terminal = try TerminalLineReader(path: path)
        return try await withTaskCancellationHandler {
            try await runOffCooperativePool {
                terminal.write("\n" + FatigueWarningText.title + "\n")
                for line in FatigueWarningText.details(for: warning) { terminal.write("  " + line + "\n") }
                while true {
                    terminal.write("[d]eny all, [s]how anyway, or Enter to keep them held: ")
                    switch terminal.readLine()?.lowercased() {
                    case "d", "deny", "deny all": return .denyAll
                    case "s", "show", "show anyway": return .showAnyway
                    case "", nil: return .dismissed
                    default: terminal.write("Please type d or s, or press Enter.\n")
                    }
                }
            }
        } onCancel: {
            terminal.interrupt()
        }
    }
}

extension CommandPrompter: FatigueWarningPrompter {
    /// The command gets `{"type": "fatigue-warning", ...}` on standard input: exit 1 denies all, exit 0
    /// with `show` as the first line shows anyway, anything else keeps the challenges held (a command
    /// that approves everything does not end the cool-down by accident).
    public func warn(_ warning: FatigueWarning) async throws -> FatigueWarningDecision {
        let process = ChildProcess(
            executable: "/bin/sh", arguments: ["-c", command], input: FatigueWarningText.json(for: warning))
        let result = try await process.run()
        switch (result.exitStatus, Self.firstLine(of: result.output)) {
        case (1, _): return .denyAll
        case (0, "show"): return .showAnyway
        default: return .dismissed
        }
    }
}
