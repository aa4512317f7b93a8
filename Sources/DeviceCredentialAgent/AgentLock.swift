import DeviceCredential

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One agent per user: an exclusive `flock` on a lock file in `$XDG_RUNTIME_DIR`, held for the
/// process's lifetime (the kernel releases it when the process ends, however it ends).
public final class AgentLock: Sendable {
    /// The lock file.
    public let path: String
    private let descriptor: Int32

    /// Takes the lock. Throws `agent_already_running` (naming the holder's pid) when another agent holds it.
    public init(path: String = AgentLock.standardPath()) throws {
        self.path = path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw DeviceCredentialError(
                code: .invalidConfiguration,
                message: "cannot open the agent lock \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.readPID(descriptor)
            close(descriptor)
            throw DeviceCredentialError(
                code: .agentAlreadyRunning,
                message: "another devicecred-agent is already running for this user"
                    + (holder.map { " (pid \($0))" } ?? "") + "; lock file \(path)")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, pid, pid.count, 0)
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// `$XDG_RUNTIME_DIR/devicecred-agent.lock`, else a per-user file in `/tmp`.
    public static func standardPath() -> String {
        if let runtime = Environment.value("XDG_RUNTIME_DIR") { return runtime + "/devicecred-agent.lock" }
        return "/tmp/devicecred-agent-\(getuid()).lock"
    }

    /// Whether an agent holds a lock, seen from outside.
    public enum Status: Sendable, Equatable {
        /// No agent holds it (or there is no lock file).
        case free
        /// An agent holds it; `pid` is what it wrote, nil when unreadable.
        case held(pid: Int?)
    }

    /// Whether an agent holds the lock at `path` now, without taking it. For `devicecred doctor`.
    public static func status(path: String = AgentLock.standardPath()) -> Status {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return .free }
        defer { close(descriptor) }
        // A shared lock is refused only while an agent holds its exclusive one; taken, it goes on close.
        guard flock(descriptor, LOCK_SH | LOCK_NB) != 0 else { return .free }
        return .held(pid: readPID(descriptor))
    }

    private static func readPID(_ descriptor: Int32) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return Int(String(decoding: buffer.prefix(count), as: UTF8.self).trimmingWhitespace())
    }
}
