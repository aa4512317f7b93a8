import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The history directory's `flock`: shared while appending, exclusive while rotating. On the directory,
/// not on the file, since the file is renamed away under it.
final class HistoryLock {
    private let descriptor: Int32

    init(directory: String) throws {
        descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw HistoryFile.failure("cannot open the history directory \(directory)") }
    }

    /// Takes the lock (converting a held one), waiting for other processes as long as they hold it.
    func acquire(exclusive: Bool) throws {
        while flock(descriptor, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            guard errno == EINTR else { throw HistoryFile.failure("cannot lock the history") }
        }
    }

    func release() {
        close(descriptor)
    }
}

/// The history file opened for appending (`O_APPEND`, 0600), and the few other file operations the
/// history needs.
struct HistoryFile {
    private var descriptor: Int32
    /// Its size when opened.
    let size: Int

    init(path: String) throws {
        descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw Self.failure("cannot open \(path)") }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let failure = Self.failure("cannot stat \(path)")
            closeDescriptor(descriptor)
            throw failure
        }
        // A file made by hand (or by an older umask) is narrowed to the owner.
        if status.st_mode & 0o077 != 0 { fchmod(descriptor, 0o600) }
        size = Int(status.st_size)
    }

    /// Writes `line` in one call: with `O_APPEND` it lands whole at the end, never inside another line.
    func write(_ line: [UInt8]) throws {
        let written = line.withUnsafeBytes { writeDescriptor(descriptor, $0) }
        guard written == line.count else {
            throw written < 0
                ? Self.failure("cannot append to the history")
                : DeviceCredentialError(code: .historyFailure, message: "the history took part of a line (disk full?)")
        }
    }

    mutating func close() {
        guard descriptor >= 0 else { return }
        closeDescriptor(descriptor)
        descriptor = -1
    }

    static func rotate(_ path: String, to rotated: String) throws {
        guard rename(path, rotated) == 0 || errno == ENOENT else { throw failure("cannot rotate \(path)") }
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// The whole file, nil when there is none; files past 64 MiB (not ours) are refused.
    static func contents(of path: String) throws -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw failure("cannot open \(path)")
        }
        defer { closeDescriptor(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count: Int
            do {
                count = try chunk.withUnsafeMutableBytes { try FileDescriptor(rawValue: descriptor).read(into: $0) }
            } catch {
                throw DeviceCredentialError(code: .historyFailure, message: "cannot read \(path): \(error)")
            }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
            guard bytes.count <= 64 << 20 else {
                throw DeviceCredentialError(code: .historyFailure, message: "\(path) is larger than 64 MiB")
            }
        }
    }

    static func failure(_ what: String) -> DeviceCredentialError {
        DeviceCredentialError(code: .historyFailure, message: "\(what): \(Errno(rawValue: errno))")
    }
}

// Outside the types, whose own `close` and `write` would hide the C functions.
private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}

private func writeDescriptor(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
    write(descriptor, bytes.baseAddress, bytes.count)
}
