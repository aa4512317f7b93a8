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
    private let descriptor: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32

    init(path: String) throws {
        descriptor = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw DeviceCredentialError(code: .promptFailed, message: "no terminal to ask on (\(path))")
        }
        guard let wake = try? FileDescriptor.pipe(options: [.closeOnExec, .nonBlocking]) else {
            close(descriptor)
            throw DeviceCredentialError(code: .promptFailed, message: "cannot create a pipe")
        }
        wakeRead = wake.readEnd.rawValue
        wakeWrite = wake.writeEnd.rawValue
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

    /// Shows `prompt` and reads a line without it appearing on the screen (a PIN). Echo goes off before
    /// the prompt is shown (`shown` runs then) and comes back afterwards, also when the read is
    /// interrupted. Not trimmed: spaces may belong to a PIN. Nil on end of input or interruption.
    func readSecretLine(prompt: String, shown: () -> Void = {}) -> String? {
        var saved = termios()
        let canSilence = tcgetattr(descriptor, &saved) == 0
        if canSilence {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            silent.c_lflag |= tcflag_t(ECHONL)
            _ = tcsetattr(descriptor, TCSANOW, &silent)
        }
        defer { if canSilence { _ = tcsetattr(descriptor, TCSANOW, &saved) } }
        write(prompt)
        shown()
        return readRawLine().map { String(decoding: $0.last == 0x0D ? $0.dropLast() : $0[...], as: UTF8.self) }
    }

    /// A trimmed line, or nil on end of input or interruption.
    func readLine() -> String? {
        readRawLine().map { String(decoding: $0, as: UTF8.self).trimmingWhitespace() }
    }

    /// The bytes of a line without its newline, or nil on end of input or interruption.
    private func readRawLine() -> [UInt8]? {
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
