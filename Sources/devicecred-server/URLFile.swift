import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The `--url-file` write: a fresh file beside the target (same directory, unique name, created with
/// `O_EXCL|O_NOFOLLOW`, mode 0600), then renamed over the target. Another local user who planted a
/// symlink at the target or at a guessable temporary name cannot make the server write through it, and a
/// script polling for the file never reads half a URL.
enum URLFile {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func write(_ contents: String, to path: String) throws(Failure) {
        let target = URL(fileURLWithPath: path)
        let temporary =
            target.deletingLastPathComponent().appendingPathComponent(
                ".\(target.lastPathComponent).\(UUID().uuidString).tmp"
            ).path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("cannot create \(temporary)") }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        let written = writeAll(Array(contents.utf8), to: descriptor)
        let closed = close(descriptor) == 0
        guard written, closed else { throw failure("cannot write \(temporary)") }
        // rename() replaces a symlink at the target itself; it never writes through it.
        guard rename(temporary, path) == 0 else { throw failure("cannot move the URL file into place at \(path)") }
        renamed = true
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            offset += count
        }
        return true
    }

    private static func failure(_ what: String) -> Failure {
        Failure(description: "\(what): \(String(cString: strerror(errno)))")
    }
}
