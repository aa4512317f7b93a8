import DeviceCredentialTestSupport
import Foundation

/// Runs a short command to completion and returns its stdout (throws on a non-zero exit, with its stderr).
/// `capture: false` for tmux, whose clients hand their output to a long-lived server: their stdout
/// goes to a file read once they exit.
@discardableResult
func runCommand(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil, capture: Bool = true
) async throws -> String {
    guard capture else { return try await runDetaching(executable, arguments) }
    let process = try RunningProcess(executable, arguments, environment: environment)
    let status = try await process.waitForExit()
    try await process.stdout.waitUntilClosed()
    let text = process.stdout.lines.joined(separator: "\n")
    guard status == 0 else {
        let errors = process.stderr.lines.joined(separator: "\n")
        throw TestFailure("\(executable) \(arguments.joined(separator: " ")) failed (\(status)): \(text) \(errors)")
    }
    return text
}

/// Runs a command that leaves a daemon behind (tmux new-session), output discarded, and reaps it
/// with waitpid: Foundation's Process never reports such a client's exit here.
private func runDetaching(_ executable: String, _ arguments: [String]) async throws -> String {
    let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("cmd-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: outputPath) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    // The daemon must not keep other processes' pipes (this test runner's) open.
    let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    for fd in open.compactMap({ Int32($0) }) where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for argument in argv { free(argument) } }
    // Default signal handling and no mask: the test runner's ignored signals (SIGHUP) must not be
    // inherited, or the pane's shell would survive the end of its tmux session.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigdefault(&attributes, &all)
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    var pid: pid_t = 0
    guard posix_spawn(&pid, executable, &actions, &attributes, argv, environ) == 0 else {
        throw TestFailure("cannot start \(executable)")
    }
    let child = pid
    let status = await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: reap(child)) }
    }
    guard status == 0 else { throw TestFailure("\(executable) \(arguments.joined(separator: " ")) failed") }
    return (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
}

/// Waits for `pid` to end and returns its wait status.
func reap(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status
}

/// Runs a command to its end, blocking (for cleanup in a deinit).
@discardableResult
func runBlocking(_ executable: String, _ arguments: [String]) -> Int32 {
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for argument in argv { free(argument) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, nil, nil, argv, environ)
    guard spawned == 0 else { return -spawned }
    return reap(pid)
}
