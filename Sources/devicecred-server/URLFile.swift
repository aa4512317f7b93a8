import Foundation
import SystemPackage

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
        let file: FileDescriptor
        do {
            file = try FileDescriptor.open(
                temporary, .writeOnly, options: [.create, .exclusiveCreate, .noFollow, .closeOnExec],
                permissions: [.ownerReadWrite])
        } catch {
            throw Failure(description: "cannot create \(temporary): \(error)")
        }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        do {
            try file.closeAfter { _ = try file.writeAll(contents.utf8) }
        } catch {
            throw Failure(description: "cannot write \(temporary): \(error)")
        }
        // rename() replaces a symlink at the target itself; it never writes through it.
        guard rename(temporary, path) == 0 else { throw failure("cannot move the URL file into place at \(path)") }
        renamed = true
    }

    private static func failure(_ what: String) -> Failure {
        Failure(description: "\(what): \(String(cString: strerror(errno)))")
    }
}
