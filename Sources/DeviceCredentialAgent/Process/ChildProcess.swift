import DeviceCredential
import Subprocess
import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Runs a program in a process group (or a session) of its own, so that cancelling the calling task ends
/// it and everything it started: SIGTERM to the group, SIGKILL after ``gracePeriod``.
///
/// swift-subprocess starts, ends and reaps it. Its standard input and output are pipes of ours, read and
/// written by blocking calls on a Dispatch worker (off the cooperative pool) with buffers the caller can
/// wipe: a PIN passes through them, and swift-subprocess's own output buffers cannot be wiped.
/// The agent's prompters and the CLI's doctor (systemctl, journalctl, tpm2_getcap) start programs with it.
package struct ChildProcess: Sendable {
    /// How a finished process ended.
    package struct Result: Sendable, Equatable {
        /// The exit status, or nil when a signal ended it.
        package var exitStatus: Int32?
        /// What it wrote to standard output (at most `outputLimit` bytes).
        package var output: [UInt8]
    }

    /// How long a withdrawn program has between SIGTERM (curses pinentries restore the terminal on it)
    /// and SIGKILL, both to its whole group.
    static let gracePeriod = Duration.seconds(3)

    package var executable: String
    package var arguments: [String]
    package var input: [UInt8] = []
    package var outputLimit = 64 * 1024
    /// Variables added to (or replacing those of) the agent's environment.
    package var environment: [String: String] = [:]
    /// Its standard error goes to /dev/null instead of ours (the agent's goes to the journal; the CLI's
    /// to a person, who should not see a helper's complaints).
    package var discardsErrors = false
    /// Start it in a session of its own, without a controlling terminal: a program that opens the
    /// agent's terminal by name (pinentry-curses) can then use it without being stopped by job control
    /// (SIGTTIN/SIGTTOU), since that terminal is not its controlling one.
    package var newSession = false

    package init(
        executable: String, arguments: [String], input: [UInt8] = [], environment: [String: String] = [:],
        newSession: Bool = false
    ) {
        self.executable = executable
        self.arguments = arguments
        self.input = input
        self.environment = environment
        self.newSession = newSession
    }

    /// Starts the process, feeds it ``input``, reads its output to the end and waits for it.
    /// Throws CancellationError when the task was cancelled (the process group has then been ended).
    package func run() async throws -> Result {
        let input = self.input
        let limit = outputLimit
        let (exitStatus, output) = try await run { pipes in
            _ = pipes.write(input)  // a command that does not read its input: fine
            pipes.closeInput()
            var output: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            defer { chunk.wipe() }
            while case let count = pipes.read(into: &chunk), count > 0 {
                // Read past the limit to the end, so the program never blocks on a full pipe.
                if output.count < limit { output += chunk.prefix(min(count, limit - output.count)) }
            }
            return output
        }
        return Result(exitStatus: exitStatus, output: output)
    }

    /// Starts the process and runs `conversation` (blocking, on a Dispatch worker) on our ends of its
    /// standard input and output; then waits for the process, or, when `endsProgram` says so of what the
    /// conversation returned (a program that broke the protocol need not stop on its own), ends it as
    /// cancellation does. Returns its exit status (nil when a signal ended it) and what `conversation`
    /// returned. Throws CancellationError when the task was cancelled.
    func run<Value: Sendable>(
        endingItWhen endsProgram: @escaping @Sendable (Value) -> Bool = { _ in false },
        conversation: @escaping @Sendable (inout ChildPipes) -> Value
    ) async throws -> (exitStatus: Int32?, value: Value) {
        // Writing to a child that went away must be an error, not the end of the agent.
        signal(SIGPIPE, SIG_IGN)
        let toChild = try Self.pipe()
        let fromChild: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
        let errors: FileDescriptorOutput
        do {
            fromChild = try Self.pipe()
            errors =
                try discardsErrors
                ? .fileDescriptor(Self.nullDevice(), closeAfterSpawningProcess: true) : .currentStandardError
        } catch {
            try? toChild.readEnd.close()
            try? toChild.writeEnd.close()
            throw error
        }
        // Ours are closed by the conversation's worker once it has run (or here, when it never ran); the
        // child's copies by swift-subprocess.
        var conversationStarted = false
        do {
            let result = try await Subprocess.run(
                .path(FilePath(executable)), arguments: Arguments(arguments), environment: mergedEnvironment,
                platformOptions: platformOptions,
                input: .fileDescriptor(toChild.readEnd, closeAfterSpawningProcess: true),
                output: .fileDescriptor(fromChild.writeEnd, closeAfterSpawningProcess: true),
                error: errors
            ) { execution in
                conversationStarted = true
                let value = try await runOffCooperativePool {
                    var pipes = ChildPipes(input: toChild.writeEnd, output: fromChild.readEnd)
                    defer { pipes.closeAll() }
                    return conversation(&pipes)
                }
                if endsProgram(value) { await execution.teardown(using: Self.teardownSequence) }
                return value
            }
            try Task.checkCancellation()
            switch result.terminationStatus {
            case .exited(let status): return (status, result.closureResult)
            case .signaled: return (nil, result.closureResult)
            }
        } catch {
            if !conversationStarted {
                try? toChild.writeEnd.close()
                try? fromChild.readEnd.close()
            }
            guard let error = error as? SubprocessError else { throw error }
            throw Self.failure("cannot start \(executable): \(error.underlyingError.map { "\($0)" } ?? "\(error)")")
        }
    }

    private static func pipe() throws -> (readEnd: FileDescriptor, writeEnd: FileDescriptor) {
        do {
            return try FileDescriptor.pipe(options: .closeOnExec)
        } catch {
            throw failure("cannot create a pipe: \(error)")
        }
    }

    private static func nullDevice() throws -> FileDescriptor {
        do {
            return try FileDescriptor.open("/dev/null", .writeOnly, options: .closeOnExec)
        } catch {
            throw failure("cannot open /dev/null: \(error)")
        }
    }

    /// Its own process group, or session (whose leader heads a group too); on cancellation SIGTERM to
    /// that group, then SIGKILL to it.
    private var platformOptions: PlatformOptions {
        var options = PlatformOptions()
        if newSession { options.createSession = true } else { options.processGroupID = 0 }
        options.teardownSequence = Self.teardownSequence
        return options
    }

    /// SIGTERM to its group, SIGKILL after ``gracePeriod``.
    private static let teardownSequence: [TeardownStep] = [
        .gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: gracePeriod)
    ]

    /// The agent's environment with ``environment`` applied.
    private var mergedEnvironment: Subprocess.Environment {
        var updates: [Subprocess.Environment.Key: String?] = [:]
        for (name, value) in environment {
            if let key = Subprocess.Environment.Key(rawValue: name) { updates[key] = value }
        }
        return .inherit.updating(updates)
    }

    private static func failure(_ message: String) -> DeviceCredentialError {
        DeviceCredentialError(code: .promptFailed, message: message)
    }
}

/// Our ends of a child's standard input and output, for blocking use by one thread.
struct ChildPipes {
    /// Our end of its standard input, until closed.
    private var input: FileDescriptor?
    /// Our end of its standard output, until closed.
    private var output: FileDescriptor?

    init(input: FileDescriptor, output: FileDescriptor) {
        self.input = input
        self.output = output
    }

    /// Writes all of `bytes` to its standard input; false when it no longer reads it.
    func write(_ bytes: [UInt8]) -> Bool {
        guard let input else { return false }
        return (try? input.writeAll(bytes)) != nil
    }

    /// Reads at most `buffer.count` bytes of its output into `buffer`; 0 at the end (or on an error).
    func read(into buffer: inout [UInt8]) -> Int {
        guard let output else { return 0 }
        return (try? buffer.withUnsafeMutableBytes { try output.read(into: $0) }) ?? 0
    }

    /// Closes its standard input: it reads the end of file.
    mutating func closeInput() {
        try? input?.close()
        input = nil
    }

    mutating func closeAll() {
        closeInput()
        try? output?.close()
        output = nil
    }
}
