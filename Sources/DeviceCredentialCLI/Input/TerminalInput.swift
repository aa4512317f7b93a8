import DeviceCredential
import SystemPackage

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
        guard let terminal = openTerminal(.readWrite) else { return nil }
        defer { try? terminal.close() }
        let read = { () -> String? in
            _ = try? terminal.writeAll(prompt.utf8)
            return readLine(from: terminal)
        }
        return echo ? read() : TerminalEcho.hidden(on: terminal.rawValue, read)
    }

    /// Shows `text` on the terminal (not on standard error, which a script may be reading).
    static func say(_ text: String) {
        guard let terminal = openTerminal(.writeOnly) else { return }
        defer { try? terminal.close() }
        _ = try? terminal.writeAll(text.utf8)
    }

    private static func openTerminal(_ mode: FileDescriptor.AccessMode) -> FileDescriptor? {
        try? FileDescriptor.open(
            "/dev/tty", mode, options: [.closeOnExec, FileDescriptor.OpenOptions(rawValue: O_NOCTTY)])
    }

    /// One line without its newline (at most 64 KiB); nil when the terminal closed before any byte came.
    private static func readLine(from terminal: FileDescriptor) -> String? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = (try? withUnsafeMutableBytes(of: &byte) { try terminal.read(into: $0) }) ?? 0
            if count == 0 { return line.isEmpty ? nil : String(decoding: line, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
            if line.count > 64 * 1024 { break }
        }
        return String(decoding: line, as: UTF8.self)
    }
}
