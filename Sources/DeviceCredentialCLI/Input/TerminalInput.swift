#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Questions asked on the controlling terminal (`/dev/tty`), never on a pipe: a script that forgot an
/// option fails instead of hanging, and answers typed by a person never end up in a pipeline.
enum TerminalInput {
    /// Whether standard input is a terminal, i.e. a person may be asked.
    static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 }

    /// Shows `prompt` on the terminal and reads one line, without echo when `echo` is false (for tokens).
    /// Returns nil when there is no terminal or it was closed before a line came.
    static func readLine(prompt: String, echo: Bool) -> String? {
        let terminal = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)
        guard terminal >= 0 else { return nil }
        defer { close(terminal) }
        var saved = termios()
        let canHideEcho = !echo && tcgetattr(terminal, &saved) == 0
        if canHideEcho {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            _ = tcsetattr(terminal, TCSAFLUSH, &quiet)
        }
        defer {
            if canHideEcho {
                _ = tcsetattr(terminal, TCSAFLUSH, &saved)
                writeAll(terminal, "\n")
            }
        }
        writeAll(terminal, prompt)
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = read(terminal, &byte, 1)
            if count < 0, errno == EINTR { continue }
            if count <= 0 { return line.isEmpty ? nil : String(decoding: line, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
            if line.count > 64 * 1024 { break }
        }
        return String(decoding: line, as: UTF8.self)
    }

    /// Shows `text` on the terminal (not on standard error, which a script may be reading).
    static func say(_ text: String) {
        let terminal = open("/dev/tty", O_WRONLY | O_CLOEXEC | O_NOCTTY)
        guard terminal >= 0 else { return }
        defer { close(terminal) }
        writeAll(terminal, text)
    }

    private static func writeAll(_ descriptor: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        var written = 0
        bytes.withUnsafeMutableBytes { buffer in
            while written < buffer.count {
                let result = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if result < 0, errno == EINTR { continue }
                if result <= 0 { return }
                written += result
            }
        }
    }
}
