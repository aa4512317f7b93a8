import DeviceCredentialLocking
public import Foundation
import Synchronization

/// A helper process (a daemon) that a test starts and ends; a short command runs through
/// ``run(_:_:environment:input:workingDirectory:timeout:)`` (swift-subprocess) instead.
///
/// Why daemons are not started with swift-subprocess: its `run` keeps the process only for the length of
/// the call, while these live in an object a test holds and releases (a synchronous `stop()` from deinit),
/// and swtpm needs its sockets as descriptors 3 and 4, where swift-subprocess closes every descriptor above 2.
///
/// - Nothing of the test runner's stays open in it but what it is given: a daemon holding another test's
///   pipe would keep that pipe from ever reaching end of file.
/// - Default signal handling and an empty mask, whatever the spawning test thread blocks.
/// - In a process group of its own, ended whole with SIGKILL: these helpers have nothing to save, SIGKILL needs
///   no cooperation, and what a daemon started (a D-Bus-activated service) goes with it instead of outliving
///   the test.
/// - Reaped by a thread of its own, so waiting for its exit never holds a thread of the cooperative pool.
public final class ChildProcess: @unchecked Sendable {
    /// Where a standard stream goes.
    public enum Stream {
        case null
        /// A file, created or truncated.
        case file(String)
        /// A pipe this object reads (standard output only): see ``waitForLine(containing:timeout:)``.
        case pipe
        /// Where standard output goes (standard error only).
        case standardOutput
    }

    public let pid: pid_t
    public let executable: String
    private let output: Int32?
    private let reaped = DispatchGroup()
    private let exit = ExitStatus()
    private let outputTaken = Flag()

    /// Starts `executable` (an absolute path) with `arguments`. `environment` nil: the test process's.
    /// `inherit` descriptors become 3, 4, ... in the child, in order.
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        standardInput: String? = nil, standardOutput: Stream = .null, standardError: Stream = .null,
        inherit descriptors: [Int32] = []
    ) throws {
        self.executable = executable
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }

        var pipeEnds: [Int32] = [-1, -1]
        if case .pipe = standardOutput {
            guard pipe(&pipeEnds) == 0 else { throw TestSupportError("pipe: errno \(errno)") }
            for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        }
        defer { if pipeEnds[1] >= 0 { close(pipeEnds[1]) } }
        // Copies of the descriptors to pass, above their targets, so no mapping overwrites one still needed.
        let sources = descriptors.map { fcntl($0, F_DUPFD_CLOEXEC, Int32(3 + descriptors.count)) }
        defer { for source in sources where source >= 0 { close(source) } }
        guard !sources.contains(where: { $0 < 0 }) else { throw TestSupportError("fcntl: errno \(errno)") }
        // Nothing else of the test runner's stays open in the child (other tests' pipes, sockets).
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap({ Int32($0) }) where fd > 2 && !sources.contains(fd) && fd != pipeEnds[1] {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        posix_spawn_file_actions_addopen(&actions, 0, standardInput ?? "/dev/null", O_RDONLY, 0)
        for (fd, stream) in [(Int32(1), standardOutput), (Int32(2), standardError)] {
            switch stream {
            case .null: posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_WRONLY, 0)
            case .file(let path):
                posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            case .pipe: posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], fd)
            case .standardOutput: posix_spawn_file_actions_adddup2(&actions, 1, fd)
            }
        }
        for (index, source) in sources.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, source, Int32(3 + index))
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        let variables = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") }
        let envp = variables + [nil]
        defer { for variable in variables { free(variable) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else {
            if pipeEnds[0] >= 0 { close(pipeEnds[0]) }
            throw TestSupportError("cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        self.pid = pid
        output = pipeEnds[0] >= 0 ? pipeEnds[0] : nil

        reaped.enter()
        let child = pid
        Thread.detachNewThread { [reaped, exit] in
            var wait: Int32 = 0
            while waitpid(child, &wait, 0) < 0 && errno == EINTR {}
            exit.status.withLock { $0 = wait }
            reaped.leave()
        }
    }

    deinit {
        stop()
        // Once read, the reading thread closes it at end of file.
        if let output, !outputTaken.testAndSet() { close(output) }
    }

    public var isRunning: Bool { exit.status.withLock { $0 == nil } }

    /// Kills its process group (SIGKILL), and returns once it is reaped. The group's id stays taken while
    /// any member lives, so the signal reaches no stranger even after the program itself ended.
    public func stop() {
        kill(-pid, SIGKILL)
        reaped.wait()
    }

    /// Waits for it to end and returns its exit status (128 + the signal if a signal ended it). Kills it and
    /// throws if it still runs after `timeout`.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32 {
        let timedOut = Flag()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let timer = DispatchWorkItem { [exit, pid] in
                guard exit.status.withLock({ $0 == nil }) else { return }
                timedOut.set()
                kill(-pid, SIGKILL)
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout.timeInterval, execute: timer)
            reaped.notify(queue: .global()) {
                timer.cancel()
                continuation.resume()
            }
        }
        guard !timedOut.isSet else { throw TestSupportError("\(executable) did not end within \(timeout)") }
        return Self.exitStatus(exit.status.withLock { $0 } ?? 0)
    }

    /// Reads its standard output (a `.pipe`) until a line containing `text` (any line when `text` is empty),
    /// and returns that line. Throws if it closes its output first, or after `timeout`. What it writes afterwards is read and dropped, so
    /// it never blocks on a full pipe.
    public func waitForLine(containing text: String, timeout: Duration = .seconds(30)) async throws -> String {
        guard let output else { throw TestSupportError("\(executable)'s standard output is not a pipe") }
        guard !outputTaken.testAndSet() else { throw TestSupportError("\(executable)'s output is read already") }
        let deadline = ContinuousClock.now + timeout
        let found: String? = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: Self.readLine(containing: text, from: output, until: deadline))
                // Keep reading to the end, so the process never blocks on a full pipe; then this thread,
                // the last reader, closes it.
                var chunk = [UInt8](repeating: 0, count: 4096)
                while true {
                    let count = read(output, &chunk, chunk.count)
                    if count > 0 || (count < 0 && errno == EINTR) { continue }
                    break
                }
                close(output)
            }
        }
        guard let found else {
            throw TestSupportError(
                "\(executable) printed no line containing '\(text)' "
                    + (isRunning ? "within \(timeout)" : "before it ended"))
        }
        return found
    }

    /// Blocking: the first line read from `descriptor` that contains `text` (the last one may lack its
    /// newline); nil at end of file or `deadline`.
    private static func readLine(
        containing text: String, from descriptor: Int32, until deadline: ContinuousClock.Instant
    )
        -> String?
    {
        var buffer = Data()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = max(.zero, deadline - ContinuousClock.now)
            var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&waiting, 1, Int32(left.timeInterval * 1000) + 1)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return nil }
            let count = read(descriptor, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                // A last line without a newline (Xvfb -displayfd writes just the number) counts too.
                let last = String(decoding: buffer, as: UTF8.self)
                return !last.isEmpty && (text.isEmpty || last.contains(text)) ? last : nil
            }
            buffer.append(contentsOf: chunk[0..<count])
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                if text.isEmpty || line.contains(text) { return line }  // Foundation: "x".contains("") is false
            }
        }
    }

    /// Blocking: waits for it to end and returns its exit status (for cleanup in a deinit, with a command
    /// that ends by itself).
    @discardableResult
    public func waitUntilExit() -> Int32 {
        reaped.wait()
        return Self.exitStatus(exit.status.withLock { $0 } ?? 0)
    }

    /// The exit status in a wait status, or 128 + the signal that ended the process.
    private static func exitStatus(_ wait: Int32) -> Int32 {
        let signal = wait & 0x7f
        return signal == 0 ? (wait >> 8) & 0xff : 128 + signal
    }
}

/// The wait status, once the reaping thread has it.
private final class ExitStatus: Sendable {
    let status = Locked<Int32?>(nil)
}

/// A flag one thread sets and another reads.
private final class Flag: Sendable {
    private let value = Atomic(false)
    func set() { value.store(true, ordering: .sequentiallyConsistent) }
    /// Sets it; returns whether it was set already.
    func testAndSet() -> Bool { value.exchange(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
}

extension Duration {
    /// In seconds, for the APIs that take a TimeInterval.
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
