import DeviceCredential
public import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Asks for the PIN with one of GnuPG's pinentry programs (`pinentry-gnome3` shows a desktop dialog,
/// `pinentry-curses` a dialog on the terminal), speaking the Assuan protocol on its standard input and
/// output: options, title, description, prompt, then GETPIN. Cancellation ends the program.
public struct PinentryPrompter: PINPrompter {
    /// The program's path.
    public var program: String
    /// The terminal pinentry may draw on (`OPTION ttyname`), when the agent runs on one.
    public var ttyName: String?
    /// That terminal's type (`OPTION ttytype`, from `TERM`).
    public var ttyType: String?
    /// That terminal's character set (`OPTION lc-ctype`, from the locale variables); without it
    /// pinentry-curses warns that it knows no LC_CTYPE.
    public var characterLocale: String?
    private let logger: Logger

    /// Creates a prompter running `program` (a path).
    public init(
        program: String, ttyName: String? = PinentryPrompter.agentTerminal(),
        ttyType: String? = Environment.value("TERM"),
        characterLocale: String? = Environment.value("LC_ALL") ?? Environment.value("LC_CTYPE")
            ?? Environment.value("LANG"),
        logger: Logger
    ) {
        self.program = program
        self.ttyName = ttyName
        self.ttyType = ttyType
        self.characterLocale = characterLocale
        self.logger = logger
    }

    /// `program` itself when it contains a slash and is executable, else the first executable of that
    /// name on `PATH`; nil when there is none.
    public static func locate(_ program: String, path: String? = Environment.value("PATH")) -> String? {
        if program.contains("/") { return access(program, X_OK) == 0 ? program : nil }
        let directories = (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
        return directories.map { $0 + "/" + program }.first { access($0, X_OK) == 0 }
    }

    /// The terminal the agent runs on (its standard input, output or error), if any.
    public static func agentTerminal() -> String? {
        for descriptor in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] where isatty(descriptor) == 1 {
            if let name = ttyname(descriptor) { return String(cString: name) }
        }
        return nil
    }

    public func askPIN(_ request: PINRequest) async throws -> String? {
        // A session of its own: pinentry-curses opens the terminal by name and must not be stopped by
        // job control for reading a terminal whose foreground is the agent.
        let started = try ChildProcess(executable: program, arguments: [], newSession: true).spawn()
        let conversation = PinentryConversation(started)
        let commands = self.commands(for: request)
        let logger = self.logger
        let outcome = try await withTaskCancellationHandler {
            try await runOffCooperativePool {
                conversation.run(commands) {
                    logger.debug(
                        "PIN prompt shown", metadata: ["prompter": "pinentry", "attempt": "\(request.attempt)"])
                }
            }
        } onCancel: {
            conversation.end()
        }
        switch outcome {
        case .pin(var bytes):
            defer { bytes.wipe() }
            let pin = String(decoding: bytes, as: UTF8.self)
            return pin.isEmpty ? nil : pin
        case .cancelled:
            return nil
        case .failed(let why):
            throw DeviceCredentialError(code: .promptFailed, message: "pinentry (\(program)) failed: \(why)")
        }
    }

    /// The commands before GETPIN, escaped.
    func commands(for request: PINRequest) -> [String] {
        var commands: [String] = []
        if let ttyName { commands.append("OPTION ttyname=" + Assuan.escape(ttyName)) }
        if ttyName != nil, let ttyType { commands.append("OPTION ttytype=" + Assuan.escape(ttyType)) }
        if ttyName != nil, let characterLocale {
            commands.append("OPTION lc-ctype=" + Assuan.escape(characterLocale))
        }
        commands.append("SETTITLE devicecred")
        commands.append("SETDESC " + Assuan.escape(Self.description(for: request)))
        commands.append("SETPROMPT PIN:")
        commands.append("SETOK " + (request.approving ? "Approve" : "Deny"))
        if let error = request.error { commands.append("SETERROR " + Assuan.escape(error)) }
        return commands
    }

    /// What the dialog says: what the PIN signs, then the challenge's context.
    static func description(for request: PINRequest) -> String {
        ([request.prompt + ".", ""] + ChallengeText.details(for: request.challenge)).joined(separator: "\n")
    }
}

/// One pinentry run: blocking Assuan I/O on its pipes. `end()` (from another thread) kills it, which
/// ends a pending read.
final class PinentryConversation: Sendable {
    enum Answer {
        case pin([UInt8])
        case cancelled
        case failed(String)
    }

    private let process: ChildProcess.Started
    /// Set once the program is reaped: its pid may then belong to another process.
    private let reaped = Mutex(false)

    init(_ process: ChildProcess.Started) {
        self.process = process
    }

    /// Ends the program (SIGTERM: curses pinentries restore the terminal on it).
    func end() {
        reaped.withLock { reaped in
            if !reaped { kill(-process.pid, SIGTERM) }
        }
    }

    /// Greeting, `commands`, GETPIN (after `asking`), BYE; then reaps the program.
    func run(_ commands: [String], asking: () -> Void) -> Answer {
        var reader = LineReader(descriptor: process.stdoutFD)
        defer {
            reader.buffer.wipe()
            finish()
        }
        guard case .ok? = reader.response() else { return .failed("no greeting") }
        for command in commands {
            // An option or text a pinentry does not know is not a reason to give up.
            guard send(command), reader.response() != nil else { return .failed("it stopped answering") }
        }
        asking()
        guard send("GETPIN") else { return .failed("it stopped answering") }
        let answer = reader.response()
        _ = send("BYE")
        switch answer {
        case .ok(let data)?: return .pin(data)
        case .error(let code, _)? where code == Assuan.cancelled: return .cancelled
        case .error(let code, let description)?: return .failed("ERR \(code) \(description)")
        case nil: return .cancelled  // ended (killed on withdrawal, or closed)
        }
    }

    private func send(_ line: String) -> Bool {
        var bytes = Array((line + "\n").utf8)
        defer { bytes.wipe() }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(process.stdinFD, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    private func finish() {
        close(process.stdinFD)
        close(process.stdoutFD)
        // Wait for the exit without reaping, then reap under the lock `end()` takes to signal.
        var info = siginfo_t()
        while waitid(P_PID, id_t(process.pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
        var status: Int32 = 0
        reaped.withLock { reaped in
            while waitpid(process.pid, &status, 0) < 0 && errno == EINTR {}
            reaped = true
        }
    }

    /// Reads Assuan lines from a pipe.
    private struct LineReader {
        let descriptor: Int32
        var buffer: [UInt8] = []

        /// The response to the last command: data lines gathered up to OK or ERR; nil at end of input.
        mutating func response() -> Assuan.Response? {
            var data: [UInt8] = []
            while var line = nextLine() {
                defer { line.wipe() }
                switch Assuan.Line(line) {
                case .ok: return .ok(data: data)
                case .error(let code, let description): return .error(code: code, description: description)
                case .data(let payload): data += payload
                case .inquire: return .error(code: 0, description: "unexpected INQUIRE")
                case .other: continue
                }
            }
            data.wipe()
            return nil
        }

        private mutating func nextLine() -> [UInt8]? {
            while true {
                if let newline = buffer.firstIndex(of: 0x0A) {
                    let line = Array(buffer[..<newline])
                    buffer.replaceSubrange(...newline, with: repeatElement(0, count: 0))
                    return line
                }
                var chunk = [UInt8](repeating: 0, count: 1024)
                let count = read(descriptor, &chunk, chunk.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return nil }
                buffer += chunk.prefix(count)
                chunk.wipe()
            }
        }
    }
}
