import DeviceCredential
import DeviceCredentialAgent

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The agent: running now (its lock), started at login (its user unit), and the last error it logged.
enum AgentChecks {
    static let unit = "devicecred-agent.service"
    private static let enableFix = "systemctl --user enable --now devicecred-agent"

    static func run(environment: (String) -> String? = SessionBusAddress.processEnvironment) async -> [DoctorCheck] {
        [running(), await unitEnabled(environment: environment), await lastError()]
    }

    static func running(lockPath: String = AgentLock.standardPath()) -> DoctorCheck {
        switch AgentLock.status(path: lockPath) {
        case .held(let pid):
            return .ok(
                "agent", "running" + (pid.map { " (pid \($0))" } ?? "") + ", lock \(DisplayText.terminal(lockPath))")
        case .free:
            return .fail(
                "agent", "not running (no agent holds \(DisplayText.terminal(lockPath)))",
                fix: enableFix + " (or run devicecred-agent in the session)")
        }
    }

    /// `systemctl --user is-enabled` when a user manager answers, else the unit's wants symlink.
    static func unitEnabled(environment: (String) -> String?) async -> DoctorCheck {
        let name = "agent unit"
        if let systemctl = ProgramSearch.locate("systemctl"),
            let answer = await ProgramOutput.run(systemctl, ["--user", "is-enabled", unit])
        {
            let state = answer.output.split(separator: "\n").first.map(String.init) ?? ""
            switch state {
            case "enabled", "enabled-runtime", "static", "indirect", "alias", "linked", "linked-runtime":
                return .ok(name, "\(unit) is \(state)")
            case "disabled":
                return .warn(name, "\(unit) is disabled: the agent does not start at login", fix: enableFix)
            case "not-found":
                return .warn(
                    name, "\(unit) is not installed",
                    fix: "make install, or install the devicecred package, then " + enableFix)
            default:
                break  // no user manager to ask (a container, a session without systemd): look at the files
            }
        }
        let configHome =
            environment("XDG_CONFIG_HOME").flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment("HOME") ?? "") + "/.config"
        let wants = [configHome + "/systemd/user", "/etc/systemd/user"].map { $0 + "/default.target.wants/" + unit }
        if let link = wants.first(where: { access($0, F_OK) == 0 }) {
            return .ok(name, "enabled (\(DisplayText.terminal(link)))")
        }
        return .warn(name, "\(unit) is not enabled (no user manager answered; no wants link)", fix: enableFix)
    }

    /// `journalctl --user -u devicecred-agent -p err -n 1 -o cat`; "unknown" without a user journal.
    static func lastError() async -> DoctorCheck {
        let name = "agent last error"
        // journalctl says nothing and exits 0 when there is no journal at all: look for one first.
        guard journalDirectories.contains(where: hasJournalFiles), let journalctl = ProgramSearch.locate("journalctl"),
            let answer = await ProgramOutput.run(
                journalctl, ["--user", "-u", "devicecred-agent", "-p", "err", "-n", "1", "-o", "cat", "--no-pager"]),
            answer.exitStatus == 0
        else { return .info(name, "unknown (no journal to read)") }
        let line = answer.output.split(separator: "\n").last.map(String.init) ?? ""
        guard !line.isEmpty else { return .ok(name, "none logged") }
        return .info(name, DisplayText.terminal(line, limit: 300), fix: "journalctl --user -u devicecred-agent")
    }

    private static let journalDirectories = ["/run/log/journal", "/var/log/journal"]

    /// Whether `directory` or a machine directory in it holds a journal file.
    private static func hasJournalFiles(_ directory: String) -> Bool {
        guard let stream = opendir(directory) else { return false }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard !name.hasPrefix(".") else { continue }
            if name.hasSuffix(".journal") || hasJournalFiles(directory + "/" + name) { return true }
        }
        return false
    }
}
