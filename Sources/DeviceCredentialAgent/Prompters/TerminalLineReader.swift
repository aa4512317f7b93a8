import DeviceCredential
import Dispatch
import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Reads lines from a terminal, and can be interrupted from another thread (through a wake-up pipe).
final class TerminalLineReader: Sendable {
    private let terminal: FileDescriptor
    private let wake: (readEnd: FileDescriptor, writeEnd: FileDescriptor)

    init(path: String) throws {
        let noControllingTerminal = FileDescriptor.OpenOptions(rawValue: O_NOCTTY)
        guard let terminal = try? FileDescriptor.open(path, .readWrite, options: [.closeOnExec, noControllingTerminal])
        else {
            throw DeviceCredentialError(code: .promptFailed, message: "no terminal to ask on (\(path))")
        }
        guard let wake = try? FileDescriptor.pipe(options: [.closeOnExec, .nonBlocking]) else {
            try? terminal.close()
            throw DeviceCredentialError(code: .promptFailed, message: "cannot create a pipe")
        }
        self.terminal = terminal
        self.wake = wake
    }

    deinit {
        try? terminal.close()
        try? wake.readEnd.close()
        try? wake.writeEnd.close()
    }

    func write(_ text: String) {
        _ = try? terminal.writeAll(text.utf8)
    }

    /// Makes a pending or future `readLine` return nil.
    func interrupt() {
        _ = try? wake.writeEnd.writeAll([1])
    }

    /// Shows `prompt` and reads a line without it appearing on the screen (a PIN). Echo goes off before
    /// the prompt is shown (`shown` runs then) and comes back afterwards, also when the read is
    /// interrupted. Not trimmed: spaces may belong to a PIN. Nil on end of input or interruption.
    func readSecretLine(prompt: String, shown: () -> Void = {}) -> String? {
        TerminalEcho.hidden(on: terminal.rawValue) {
            write(prompt)
            shown()
            return readRawLine().map { String(decoding: $0.last == 0x0D ? $0.dropLast() : $0[...], as: UTF8.self) }
        }
    }

    /// A trimmed line, or nil on end of input or interruption.
    func readLine() -> String? {
        readRawLine().map { String(decoding: $0, as: UTF8.self).trimmingWhitespace() }
    }

    /// The bytes of a line without its newline, or nil on end of input or interruption.
    private func readRawLine() -> [UInt8]? {
        var line: [UInt8] = []
        while true {
            var fds = [pollfd(fd: terminal.rawValue, events: Int16(POLLIN), revents: 0)]
            fds.append(pollfd(fd: wake.readEnd.rawValue, events: Int16(POLLIN), revents: 0))
            guard poll(&fds, 2, -1) >= 0 || errno == EINTR else { return nil }
            if fds[1].revents != 0 { return nil }
            guard fds[0].revents != 0 else { continue }
            var byte: UInt8 = 0
            let count = (try? withUnsafeMutableBytes(of: &byte) { try terminal.read(into: $0) }) ?? 0
            guard count == 1 else { return line.isEmpty ? nil : line }
            if byte == 0x0A { return line }
            line.append(byte)
        }
    }
}

/// Runs blocking terminal or pipe I/O on a Dispatch worker, off the cooperative thread pool; throws
/// `CancellationError` when the task was cancelled meanwhile.
func runOffCooperativePool<T: Sendable>(_ body: @escaping @Sendable () -> T) async throws -> T {
    let value = await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: body()) }
    }
    try Task.checkCancellation()
    return value
}
