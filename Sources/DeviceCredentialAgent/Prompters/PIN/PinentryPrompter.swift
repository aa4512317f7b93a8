import DeviceCredential
public import Logging

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
        ProgramSearch.locate(program, path: path)
    }

    /// The terminal the agent runs on (its standard input, output or error), if any.
    public static func agentTerminal() -> String? {
        for descriptor in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] where isatty(descriptor) == 1 {
            if let name = ttyname(descriptor) { return String(cString: name) }
        }
        return nil
    }

    public func askPIN(_ request: PINRequest) async throws -> String? {
        let commands = self.commands(for: request)
        let logger = self.logger
        // A session of its own: pinentry-curses opens the terminal by name and must not be stopped by
        // job control for reading a terminal whose foreground is the agent.
        let pinentry = ChildProcess(executable: program, arguments: [], newSession: true)
        let (_, outcome) = try await pinentry.run(endingItWhen: \.brokeProtocol) { pipes in
            PinentryConversation(pipes: pipes).run(commands) {
                logger.debug(
                    "PIN prompt shown", metadata: ["prompter": "pinentry", "attempt": "\(request.attempt)"])
            }
        }
        switch outcome {
        case .pin(var bytes):
            defer { bytes.wipe() }
            let pin = String(decoding: bytes, as: UTF8.self)
            return pin.isEmpty ? nil : pin
        case .cancelled:
            return nil
        case .failed(let why), .protocolBroken(let why):
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

/// One pinentry run: blocking Assuan I/O on its pipes. Cancelling the task ends the program (SIGTERM to
/// its group), which ends a pending read.
struct PinentryConversation {
    enum Answer: Sendable {
        case pin([UInt8])
        case cancelled
        case failed(String)
        /// It sent what Assuan does not allow (a line too long, data without end): it is ended, not awaited.
        case protocolBroken(String)

        var brokeProtocol: Bool {
            if case .protocolBroken = self { return true }
            return false
        }
    }

    let pipes: ChildPipes

    /// Greeting, `commands`, GETPIN (after `asking`), BYE.
    func run(_ commands: [String], asking: () -> Void) -> Answer {
        var reader = LineReader(pipes: pipes)
        defer { reader.buffer.wipe() }
        do {
            guard case .ok? = try reader.response() else { return .failed("no greeting") }
            for command in commands {
                // An option or text a pinentry does not know is not a reason to give up.
                guard send(command), try reader.response() != nil else { return .failed("it stopped answering") }
            }
            asking()
            guard send("GETPIN") else { return .failed("it stopped answering") }
            let answer = try reader.response()
            _ = send("BYE")
            switch answer {
            case .ok(let data)?: return .pin(data)
            case .error(let code, _)? where code == Assuan.cancelled: return .cancelled
            case .error(let code, let description)?: return .failed("ERR \(code) \(description)")
            case nil: return .cancelled  // ended (killed on withdrawal, or closed)
            }
        } catch {
            return .protocolBroken(error.reason)
        }
    }

    private func send(_ line: String) -> Bool {
        var bytes = Array((line + "\n").utf8)
        defer { bytes.wipe() }
        return pipes.write(bytes)
    }

    /// What the program sent against Assuan's rules.
    struct ProtocolViolation: Error {
        var reason: String
    }

    /// Reads Assuan lines from a pipe, within Assuan's limits: what breaks them is not buffered on.
    private struct LineReader {
        let pipes: ChildPipes
        var buffer: [UInt8] = []

        /// The response to the last command: data lines gathered up to OK or ERR; nil at end of input.
        mutating func response() throws(ProtocolViolation) -> Assuan.Response? {
            var data: [UInt8] = []
            // On every way out: what is returned is a copy by then, which the caller wipes.
            defer { data.wipe() }
            while var line = try nextLine() {
                defer { line.wipe() }
                switch Assuan.Line(line) {
                case .ok: return .ok(data: data)
                case .error(let code, let description): return .error(code: code, description: description)
                case .data(var payload):
                    defer { payload.wipe() }
                    guard data.count + payload.count <= Assuan.maximumResponseData else {
                        throw ProtocolViolation(
                            reason: "it sent more than \(Assuan.maximumResponseData) bytes of data in one response")
                    }
                    data += payload
                case .inquire: return .error(code: 0, description: "unexpected INQUIRE")
                case .other: continue
                }
            }
            return nil
        }

        private mutating func nextLine() throws(ProtocolViolation) -> [UInt8]? {
            while true {
                let newline = buffer.firstIndex(of: 0x0A)
                guard (newline ?? buffer.count) < Assuan.maximumLineLength else {
                    throw ProtocolViolation(
                        reason: "it sent a line longer than Assuan's \(Assuan.maximumLineLength) bytes")
                }
                if let newline {
                    let line = Array(buffer[..<newline])
                    buffer.replaceSubrange(...newline, with: repeatElement(0, count: 0))
                    return line
                }
                var chunk = [UInt8](repeating: 0, count: 1024)
                let count = pipes.read(into: &chunk)
                guard count > 0 else { return nil }
                buffer += chunk.prefix(count)
                chunk.wipe()
            }
        }
    }
}
