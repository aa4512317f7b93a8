#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Runs a short-lived helper program (systemctl, journalctl) and returns its exit status and the
/// start of its standard output; its standard input and error are /dev/null. Doctor asks these
/// programs one question each and none of them reads input, so a blocking wait is enough.
struct ProgramOutput: Sendable {
    var exitStatus: Int32?
    var output: String

    /// Where `name` is on `$PATH`, if it is an executable file there.
    static func find(_ name: String, path: String? = getenv("PATH").map { String(cString: $0) }) -> String? {
        let directories = (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        return directories.map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }

    /// Runs `executable` with `arguments`; nil when it could not be started.
    static func run(_ executable: String, _ arguments: [String], outputLimit: Int = 16 * 1024) -> ProgramOutput? {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return nil }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(ends[1])
        defer { close(ends[0]) }
        guard spawned == 0 else { return nil }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(ends[0], &buffer, buffer.count)
            if count > 0 {
                if bytes.count < outputLimit { bytes += buffer[0..<min(count, outputLimit - bytes.count)] }
            } else if count == 0 || errno != EINTR {
                break
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7f == 0
        return ProgramOutput(
            exitStatus: exited ? (status >> 8) & 0xff : nil, output: String(decoding: bytes, as: UTF8.self))
    }
}
