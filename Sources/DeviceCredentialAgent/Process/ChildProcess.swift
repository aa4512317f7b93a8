import DeviceCredential
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Runs a program with its standard input fed from bytes and its standard output captured, in its
/// own process group so cancelling the calling task can end it and everything it started.
///
/// The blocking reads and `waitpid` run on a Dispatch worker, off the cooperative thread pool.
struct ChildProcess: Sendable {
    /// How a finished process ended.
    struct Result: Sendable, Equatable {
        /// The exit status, or nil when a signal ended it.
        var exitStatus: Int32?
        /// What it wrote to standard output (at most `outputLimit` bytes).
        var output: [UInt8]
    }

    var executable: String
    var arguments: [String]
    var input: [UInt8] = []
    var outputLimit = 64 * 1024
    /// Variables added to (or replacing those of) the agent's environment.
    var environment: [String: String] = [:]
    /// Start it in a session of its own, without a controlling terminal: a program that opens the
    /// agent's terminal by name (pinentry-curses) can then use it without being stopped by job control
    /// (SIGTTIN/SIGTTOU), since that terminal is not its controlling one.
    var newSession = false

    /// Starts the process and waits for it. On task cancellation the process group gets SIGTERM.
    func run() async throws -> Result {
        let process = try spawn()
        let groupID = process.pid
        return try await withTaskCancellationHandler {
            let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result, Never>) in
                DispatchQueue.global().async {
                    continuation.resume(returning: process.finish(input: input, outputLimit: outputLimit))
                }
            }
            try Task.checkCancellation()
            return result
        } onCancel: {
            kill(-groupID, SIGTERM)
        }
    }

    func spawn() throws -> Started {
        var stdinPipe: [Int32] = [-1, -1]
        var stdoutPipe: [Int32] = [-1, -1]
        // Writing to a child that went away must be an error, not the end of the agent.
        signal(SIGPIPE, SIG_IGN)
        guard closeOnExecPipe(&stdinPipe) else { throw Self.failure("cannot create a pipe") }
        guard closeOnExecPipe(&stdoutPipe) else {
            close(stdinPipe[0])
            close(stdinPipe[1])
            throw Self.failure("cannot create a pipe")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group (to end it whole), and default SIGPIPE (the agent ignores it).
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var noMask = sigset_t()
        sigemptyset(&noMask)
        posix_spawnattr_setsigmask(&attributes, &noMask)
        posix_spawnattr_setpgroup(&attributes, 0)
        let grouping = newSession ? Self.spawnSetSID : Int32(POSIX_SPAWN_SETPGROUP)
        posix_spawnattr_setflags(&attributes, Int16(grouping | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        let envp = mergedEnvironment().map { strdup($0) } + [nil]
        defer { for variable in envp { free(variable) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(stdinPipe[0])
        close(stdoutPipe[1])
        guard status == 0 else {
            close(stdinPipe[1])
            close(stdoutPipe[0])
            throw Self.failure("cannot start \(executable): \(String(cString: strerror(status)))")
        }
        return Started(pid: pid, stdinFD: stdinPipe[1], stdoutFD: stdoutPipe[0])
    }

    /// glibc's POSIX_SPAWN_SETSID (2.26+), which its header shows to GNU sources only.
    private static let spawnSetSID: Int32 = 0x80

    /// The agent's environment as `NAME=value` strings, with ``environment`` applied.
    private func mergedEnvironment() -> [String] {
        var variables: [String] = []
        var index = 0
        while let entry = environ[index] {
            let variable = String(cString: entry)
            let name = variable.prefix { $0 != "=" }
            if environment[String(name)] == nil { variables.append(variable) }
            index += 1
        }
        return variables + environment.map { $0.key + "=" + $0.value }
    }

    private static func failure(_ message: String) -> DeviceCredentialError {
        DeviceCredentialError(code: .promptFailed, message: message)
    }

    /// A running child and our ends of its pipes.
    struct Started: Sendable {
        var pid: pid_t
        var stdinFD: Int32
        var stdoutFD: Int32

        /// Feeds stdin, drains stdout, reaps the process. Blocking.
        func finish(input: [UInt8], outputLimit: Int) -> Result {
            input.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(stdinFD, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 && errno == EINTR { continue }
                    if written <= 0 { break }  // the command does not read its input: fine
                    offset += written
                }
            }
            close(stdinFD)
            var output: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(stdoutFD, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                if output.count < outputLimit { output += buffer.prefix(min(count, outputLimit - output.count)) }
            }
            close(stdoutFD)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let exited = (status & 0x7f) == 0
            return Result(exitStatus: exited ? (status >> 8) & 0xff : nil, output: output)
        }
    }
}

/// A pipe whose ends are not inherited by other children (the spawn's dup2 makes the child's copies).
func closeOnExecPipe(_ ends: inout [Int32], nonBlocking: Bool = false) -> Bool {
    guard pipe(&ends) == 0 else { return false }
    for end in ends {
        _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        if nonBlocking { _ = fcntl(end, F_SETFL, O_NONBLOCK) }
    }
    return true
}
