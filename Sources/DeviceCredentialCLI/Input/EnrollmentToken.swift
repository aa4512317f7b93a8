import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Reads the enrollment token from where `enroll` was told to find it, without ever echoing it.
///
/// `--token-file` refuses a file that other users can read (see ``SecretFile``): a fleet's tokens
/// should not be readable by every account on a host.
enum EnrollmentToken {
    /// Where the token comes from.
    enum Source: Equatable {
        /// `--token TOKEN` (visible to other users in `ps` while the command runs).
        case argument(String)
        /// `--token-file PATH`.
        case file(String)
        /// `--token -`: standard input, or a no-echo prompt when standard input is a terminal.
        case standardInput
    }

    /// Tokens are JWTs of a few hundred bytes; anything past this is not a token.
    static let maximumLength = 16 * 1024

    static func read(from source: Source) throws -> String {
        let text: String
        switch source {
        case .argument(let value):
            text = value
        case .file(let path):
            text = try readFile(path)
        case .standardInput:
            text = try readStandardInput()
        }
        let token = String(text.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
        guard !token.isEmpty else {
            throw CommandFailure.usage("empty_token", "the enrollment token is empty")
        }
        guard token.utf8.count <= maximumLength, !token.contains(where: { $0.isWhitespace }) else {
            throw CommandFailure.usage(
                "malformed_token", "the enrollment token is not one line of printable text; check where it came from")
        }
        return token
    }

    private static let file = SecretFile(
        noun: "token", alternative: "or pass the token on standard input with --token -", maximumLength: maximumLength)

    private static func readFile(_ path: String) throws -> String {
        try file.read(path: path)
    }

    private static func readStandardInput() throws -> String {
        if TerminalInput.isInteractive {
            guard let line = TerminalInput.readLine(prompt: "Enrollment token: ", echo: false) else {
                throw CommandFailure.usage("empty_token", "no enrollment token was typed")
            }
            return line
        }
        return try file.read(descriptor: STDIN_FILENO, what: "standard input")
    }

    /// The `exp` claim of a JWT, to say how long ago an expired token expired. Nil for anything else.
    static func expiry(of token: String) -> Date? {
        TokenClaims.expiry(of: token)
    }
}
