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
    /// One element per burst of changes; ends when the watcher stops.
    let changes: AsyncStream<Void>
    private let source: any DispatchSourceRead

    /// The store replaces the file by rename, so a new list arrives as IN_MOVED_TO; the `SELF` events say
    /// the directory itself was deleted or moved away, and the watch must follow the path again.
    private static let mask = UInt32(
        IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF)

    /// Watches `store`'s directory (created 0700 if missing, as the CLI would). Throws when inotify is
    /// unavailable.
    init(_ store: ProfileStore) throws {
        let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { throw Self.failure("inotify is unavailable") }
        var watch = Self.addWatch(descriptor, on: store)
        guard watch >= 0 else {
            let failure = Self.failure("cannot watch \(store.directory)")
            close(descriptor)
            throw failure
        }
        let fileName = String(store.path.split(separator: "/").last ?? "")
        let (changes, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.changes = changes
        source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: DispatchQueue(label: "profile-list"))
        // Runs on the source's serial queue only, so `watch` needs no lock.
        source.setEventHandler {
            // Events of an earlier watch (its IN_IGNORED after the removal below) are no news.
            let events = Self.drainEvents(descriptor).filter { $0.watch == watch || $0.overflowed }
            if events.contains(where: \.directoryGone) {
                // The directory was deleted or moved: watch the path again (recreated, as enroll would).
                inotify_rm_watch(descriptor, watch)
                watch = Self.addWatch(descriptor, on: store)
            }
            if events.contains(where: { $0.name == fileName || $0.directoryGone || $0.overflowed }) {
                continuation.yield()
            }
        }
        source.setCancelHandler {
            close(descriptor)
            continuation.finish()
        }
        source.resume()
    }

    deinit { source.cancel() }

    /// Stops watching; ``changes`` ends.
    func stop() {
        source.cancel()
    }

    private static func addWatch(_ descriptor: Int32, on store: ProfileStore) -> Int32 {
        guard (try? store.createDirectory()) != nil else { return -1 }
        return inotify_add_watch(descriptor, store.directory, mask)
    }

    private struct Event {
        var watch: Int32
        var mask: UInt32
        var name: String

        var directoryGone: Bool { mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED) != 0 }
        /// Events were lost: anything may have changed.
        var overflowed: Bool { mask & UInt32(IN_Q_OVERFLOW) != 0 }
    }

    /// Every pending event.
    private static func drainEvents(_ descriptor: Int32) -> [Event] {
        var events: [Event] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let headerSize = MemoryLayout<inotify_event>.size
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { return events }
            var offset = 0
            while offset + headerSize <= count {
                let header = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: inotify_event.self) }
                let nameBytes = buffer[(offset + headerSize)..<min(count, offset + headerSize + Int(header.len))]
                events.append(
                    Event(
                        watch: header.wd, mask: header.mask,
                        name: String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)))
                offset += headerSize + Int(header.len)
            }
        }
    }

    private static func failure(_ message: String) -> DeviceCredentialError {
        DeviceCredentialError(code: .invalidConfiguration, message: "\(message): \(String(cString: strerror(errno)))")
    }
}
