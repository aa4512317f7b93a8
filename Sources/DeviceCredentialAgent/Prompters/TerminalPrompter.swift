import DeviceCredential

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Asks on the controlling terminal (`/dev/tty`): y approves, n denies, r denies and reports "This
/// wasn't me"; with number matching it then asks for the code shown in the browser and never approves
/// without one.
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
            try await runOffCooperativePool {
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
            terminal.write("Approve? [y/n, r = this wasn't me] ")
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
            case "r", "report":
                terminal.write("Reported: the challenge is denied and the report logged.\n")
                return .report
            default:
                terminal.write("Please type y, n or r.\n")
            }
        }
    }
}
