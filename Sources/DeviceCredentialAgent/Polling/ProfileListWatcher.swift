import DeviceCredential
import Dispatch
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Tells when the profile list may have changed (`devicecred enroll` or `remove` replaced
/// `profiles.json`), through inotify on its directory: the agent follows enrollments without a restart
/// and without re-reading the file on a timer.
final class ProfileListWatcher {
    /// One element per burst of changes, and one at the start; ends when the watcher stops.
    let changes: AsyncStream<Void>
    private let source: any DispatchSourceRead

    /// Watches `store`'s directory (created 0700 if missing, as the CLI would). Throws when inotify is
    /// unavailable.
    init(_ store: ProfileStore) throws {
        try store.createDirectory()
        let directory = store.directory
        let fileName = String(store.path.split(separator: "/").last ?? "")
        let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { throw Self.failure("inotify is unavailable") }
        // The store replaces the file by rename, so the new list arrives as IN_MOVED_TO.
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE)
        guard inotify_add_watch(descriptor, directory, mask) >= 0 else {
            close(descriptor)
            throw Self.failure("cannot watch \(directory)")
        }
        let (changes, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.changes = changes
        continuation.yield()  // the list as it is now
        source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: DispatchQueue(label: "profile-list"))
        source.setEventHandler {
            if Self.drainEvents(descriptor).contains(fileName) { continuation.yield() }
        }
        source.setCancelHandler {
            close(descriptor)
            continuation.finish()
        }
        source.resume()
    }

    /// Stops watching; ``changes`` ends.
    func stop() {
        source.cancel()
    }

    /// The names in every pending event.
    private static func drainEvents(_ descriptor: Int32) -> Set<String> {
        var names: Set<String> = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { return names }
            var offset = 0
            let headerSize = MemoryLayout<inotify_event>.size
            while offset + headerSize <= count {
                let nameLength = buffer.withUnsafeBytes {
                    Int($0.loadUnaligned(fromByteOffset: offset, as: inotify_event.self).len)
                }
                let nameBytes = buffer[(offset + headerSize)..<min(count, offset + headerSize + nameLength)]
                names.insert(String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self))
                offset += headerSize + nameLength
            }
        }
    }

    private static func failure(_ message: String) -> DeviceCredentialError {
        DeviceCredentialError(code: .invalidConfiguration, message: "\(message): \(String(cString: strerror(errno)))")
    }
}
