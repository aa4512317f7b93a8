import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Reads the enrollment token from where `enroll` was told to find it, without ever echoing it.
///
/// `--token-file` refuses a regular file that group or others can read or write (mode must be 0600 or
/// stricter, like the file key store): a fleet's tokens should not be readable by every account on a host.
/// Pipes, FIFOs and process substitutions are accepted as they are.
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

    private static func readFile(_ path: String) throws -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw CommandFailure(
                code: "token_file_unreadable", message: "cannot open the token file \(path): \(reason)",
                status: .failure)
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw CommandFailure(
                code: "token_file_unreadable", message: "cannot inspect the token file \(path)", status: .failure)
        }
        if status.st_mode & S_IFMT == S_IFREG, status.st_mode & 0o077 != 0 {
            let mode = String(status.st_mode & 0o777, radix: 8)
            throw CommandFailure(
                code: "insecure_token_file",
                message: "the token file \(path) has mode \(mode): other users may read it; "
                    + "run chmod 600 on it (or pass the token on standard input with --token -)",
                status: .failure)
        }
        return try readAll(descriptor, what: "the token file \(path)")
    }

    private static func readStandardInput() throws -> String {
        if TerminalInput.isInteractive {
            guard let line = TerminalInput.readLine(prompt: "Enrollment token: ", echo: false) else {
                throw CommandFailure.usage("empty_token", "no enrollment token was typed")
            }
            return line
        }
        return try readAll(STDIN_FILENO, what: "standard input")
    }

    private static func readAll(_ descriptor: Int32, what: String) throws -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= maximumLength {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                throw CommandFailure(
                    code: "token_file_unreadable", message: "cannot read \(what): \(reason)", status: .failure)
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        guard bytes.count <= maximumLength else {
            throw CommandFailure.usage(
                "malformed_token", "\(what) holds more than \(maximumLength) bytes: that is not an enrollment token")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The `exp` claim of a JWT, to say how long ago an expired token expired. Nil for anything else.
    static func expiry(of token: String) -> Date? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var payload = parts[1].replacing("-", with: "+").replacing("_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        guard let data = Data(base64Encoded: String(payload)),
            let claims = try? JSONDecoder().decode(Claims.self, from: data), let exp = claims.exp
        else { return nil }
        return Date(timeIntervalSince1970: exp)
    }

    private struct Claims: Decodable {
        var exp: Double?
    }
}
