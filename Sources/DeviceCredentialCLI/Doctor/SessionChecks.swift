import DeviceCredential

/// The session bus, the Secret Service on it and its default keyring.
enum SessionChecks {
    static let secretServiceName = "org.freedesktop.secrets"

    /// The bus address and a connection to it, or the failed check. Always needed: the agent's
    /// notifications are on it, whatever the key store.
    static func sessionBus() -> (check: DoctorCheck, probe: SessionBusProbe?) {
        let name = "session bus"
        let address: String
        do {
            address = try SessionBusAddress.resolve()
        } catch {
            let fix =
                "log in to a desktop session, or run under dbus-run-session (a systemd user session provides "
                + "$XDG_RUNTIME_DIR/bus)"
            let detail = ProfileChecks.describe(error)
            return (.fail(name, detail, fix: fix), nil)
        }
        do {
            return (.ok(name, DisplayText.terminal(address)), try SessionBusProbe(address: address))
        } catch {
            let detail = "cannot connect to \(DisplayText.terminal(address)): \(DisplayText.terminal(error.message))"
            let fix = "fix DBUS_SESSION_BUS_ADDRESS, or log in again"
            return (.fail(name, detail, fix: fix), nil)
        }
    }

    /// The Secret Service and whether its default collection is locked. `needed`: a profile keeps its key there.
    static func secretService(_ probe: SessionBusProbe, needed: Bool) -> [DoctorCheck] {
        let name = "secret service"
        let provider = probe.ownerProgram(secretServiceName)
        let locked: Bool?
        do {
            locked = try probe.defaultCollectionIsLocked()
        } catch {
            let fix =
                "start a keyring in the session (gnome-keyring-daemon --start --components=secrets, KWallet, "
                + "KeePassXC), or enroll with --key-store file on a headless host"
            let detail =
                error.remoteName == "org.freedesktop.DBus.Error.ServiceUnknown"
                ? "no Secret Service on the session bus" : DisplayText.terminal(error.message, limit: 300)
            return [needed ? .fail(name, detail, fix: fix) : .info(name, detail + " (no profile keeps its key there)")]
        }
        let who = DisplayText.terminal(provider ?? "a Secret Service")
        switch locked {
        case nil:
            let detail = "\(who) has no default keyring"
            let fix = "create a default keyring (Passwords and Keys, or the first key stored asks for one)"
            return [needed ? .fail(name, detail, fix: fix) : .warn(name, detail, fix: fix)]
        case true?:
            let detail = "\(who): the default keyring is locked"
            return [needed ? .fail(name, detail, fix: KeyringFix.unlock) : .warn(name, detail, fix: KeyringFix.unlock)]
        case false?:
            return [.ok(name, "\(who), default keyring unlocked")]
        }
    }
}
