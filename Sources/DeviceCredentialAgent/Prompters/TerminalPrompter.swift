import DeviceCredential
import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Asks on the controlling terminal (`/dev/tty`): y approves, n denies; with number matching it then
/// asks for the code shown in the browser and never approves without one.
public struct TerminalPrompter: ChallengePrompter {
    /// The terminal device.
    public var path: String

    /// Creates a prompter on `path` (default: the controlling terminal).
    public init(path: String = "/dev/tty") {
        self.path = path
    }

    /// Whether this process has a terminal to ask on.
    public static func isAvailable(path: String = "/dev/tty") -> Bool {
        let descriptor = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        close(descriptor)
        return true
    }

    public func prompt(_ request: PromptRequest) async throws -> PromptDecision {
        let terminal = try TerminalLineReader(path: path)
        return try await withTaskCancellationHandler {
            try await Self.runOffPool {
                terminal.write("\n" + ChallengeText.title(for: request) + "\n")
                for line in ChallengeText.details(for: request) { terminal.write("  " + line + "\n") }
                return Self.converse(on: terminal, needsCode: request.needsVerificationCode)
            }
        } onCancel: {
            terminal.interrupt()
        }
    }

    private static func converse(on terminal: TerminalLineReader, needsCode: Bool) -> PromptDecision {
        while true {
            terminal.write("Approve? [y/n] ")
            guard let answer = terminal.readLine()?.lowercased() else {
                terminal.write("\nChallenge withdrawn (answered elsewhere or expired), or no answer.\n")
                return .unanswered
            }
            switch answer {
            case "y", "yes":
                guard needsCode else { return .approve(verificationCode: nil) }
                terminal.write("Code shown in the browser: ")
                guard let code = terminal.readLine(), !code.isEmpty else {
                    terminal.write("\nNo code typed: the challenge is left unanswered.\n")
                    return .unanswered
                }
                return .approve(verificationCode: code)
            case "n", "no":
                return .deny
            default:
                terminal.write("Please type y or n.\n")
            }
        }
    }

    private static func runOffPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async throws -> T {
        let value = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: body()) }
        }
        try Task.checkCancellation()
        return value
    }
}

/// Reads lines from a terminal, and can be interrupted from another thread (through a wake-up pipe).
final class TerminalLineReader: Sendable {
    private let descriptor: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32

    init(path: String) throws {
        descriptor = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw DeviceCredentialError(code: .promptFailed, message: "no terminal to ask on (\(path))")
        }
        var wake: [Int32] = [-1, -1]
        guard closeOnExecPipe(&wake, nonBlocking: true) else {
            close(descriptor)
            throw DeviceCredentialError(code: .promptFailed, message: "cannot create a pipe")
        }
        wakeRead = wake[0]
        wakeWrite = wake[1]
    }

    deinit {
        close(descriptor)
        close(wakeRead)
        close(wakeWrite)
    }

    func write(_ text: String) {
        var bytes = Array(text.utf8)
        _ = Glibc.write(descriptor, &bytes, bytes.count)
    }

    /// Makes a pending or future `readLine` return nil.
    func interrupt() {
        var byte: UInt8 = 1
        _ = Glibc.write(wakeWrite, &byte, 1)
    }

    /// A trimmed line, or nil on end of input or interruption.
    func readLine() -> String? {
        var line: [UInt8] = []
        while true {
            var fds = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
            fds.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
            guard poll(&fds, 2, -1) >= 0 || errno == EINTR else { return nil }
            if fds[1].revents != 0 { return nil }
            guard fds[0].revents != 0 else { continue }
            var byte: UInt8 = 0
            let count = read(descriptor, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            guard count == 1 else { return line.isEmpty ? nil : String(decoding: line, as: UTF8.self) }
            if byte == 0x0A { return String(decoding: line, as: UTF8.self).trimmingWhitespace() }
            line.append(byte)
        }
    }
}
