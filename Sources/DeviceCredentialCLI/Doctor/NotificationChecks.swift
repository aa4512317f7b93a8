import DeviceCredential

/// The notification server the agent shows challenges on, and what it can do.
enum NotificationChecks {
    static let serviceName = "org.freedesktop.Notifications"

    static func run(_ probe: SessionBusProbe) -> [DoctorCheck] {
        let name = "notifications"
        // As the agent asks: a server that owns the name now (the agent never starts one).
        guard probe.hasOwner(serviceName) else {
            return [
                .fail(
                    name, "no notification server on the session bus",
                    fix: "start one (GNOME Shell, KDE Plasma, dunst, mako, xfce4-notifyd), or run the agent with "
                        + "--prompt terminal in a terminal")
            ]
        }
        let server =
            (try? probe.notificationServerName()).map { DisplayText.terminal($0, limit: 80) }
            ?? probe.ownerProgram(serviceName).map { DisplayText.terminal($0) } ?? "a notification server"
        let capabilities: [String]
        do {
            capabilities = try probe.notificationCapabilities()
        } catch {
            return [
                .fail(
                    name,
                    "\(server) did not answer GetCapabilities: \(DisplayText.terminal(error.message, limit: 200))",
                    fix: "restart the notification server")
            ]
        }
        var checks: [DoctorCheck] = [.ok(name, server)]
        checks.append(
            capabilities.contains("actions")
                ? .ok("notification actions", "Approve and Deny buttons are shown")
                : .warn(
                    "notification actions", "\(server) shows no buttons: challenges cannot be answered from them",
                    fix: "use a server with actions (GNOME Shell, KDE Plasma, dunst, mako), or answer with "
                        + "devicecred approve / devicecred deny"))
        checks.append(
            capabilities.contains("persistence")
                ? .ok("notification persistence", "unanswered challenges stay in the notification list")
                : .info(
                    "notification persistence",
                    "a challenge disappears when its popup times out (devicecred challenge still shows it)"))
        checks.append(
            capabilities.contains("body-markup")
                ? .ok("notification markup", "body markup supported")
                : .info("notification markup", "bodies are shown as plain text"))
        return checks
    }
}
