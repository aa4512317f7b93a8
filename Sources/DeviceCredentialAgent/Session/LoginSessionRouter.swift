import DeviceCredentialLocking
import Logging

/// Decides which logind signals to believe and applies them to ``SessionPresence`` and ``ResumeSignal``.
///
/// Anyone on the system bus can emit `PropertiesChanged(LockedHint=false)` for a session path, or
/// `PrepareForSleep(false)`: a signal counts only when it comes from the current owner of
/// `org.freedesktop.login1` (a unique name, followed through `NameOwnerChanged` from the bus itself).
/// A forged unlock would show a prompt on a locked screen; a forged resume only costs one early poll,
/// but is refused all the same.
final class LoginSessionRouter: Sendable {
    let presence: SessionPresence
    let resumes: ResumeSignal
    let sessionPath: String
    private let logger: Logger
    private let owner: Locked<String?>

    init(presence: SessionPresence, resumes: ResumeSignal, sessionPath: String, owner: String?, logger: Logger) {
        self.presence = presence
        self.resumes = resumes
        self.sessionPath = sessionPath
        self.owner = Locked(owner)
        self.logger = logger
    }

    /// `NameOwnerChanged` for logind, from the bus: a restarted logind keeps its sessions, so the state
    /// stays as it was until the new owner says otherwise.
    func ownerChanged(to newOwner: String?) {
        owner.withLock { $0 = newOwner }
        logger.info("logind changed owner on the system bus", metadata: ["owner": "\(newOwner ?? "none")"])
    }

    /// `PropertiesChanged` of the session object, with the values it carries (nil: not among them).
    func sessionChanged(active: Bool?, locked: Bool?, path: String, from sender: String) {
        guard isFromLogind(sender), path == sessionPath else {
            logger.debug("ignored a session signal not sent by logind", metadata: ["sender": "\(sender)"])
            return
        }
        guard presence.update(active: active, locked: locked) else { return }
        let state = presence.state
        logger.info(
            state.isPresent
                ? "session active and unlocked; prompts are shown"
                : "session locked or in the background; prompts wait",
            metadata: ["active": "\(state.active)", "locked": "\(state.locked)"])
    }

    /// `PrepareForSleep(start)` of logind's manager: `false` is the resume.
    func prepareForSleep(_ start: Bool, from sender: String) {
        guard isFromLogind(sender) else {
            logger.debug("ignored a sleep signal not sent by logind", metadata: ["sender": "\(sender)"])
            return
        }
        if !start { resumes.fire() }
    }

    private func isFromLogind(_ sender: String) -> Bool {
        owner.withLock { $0 == sender }
    }
}
