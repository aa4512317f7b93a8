import DeviceCredentialLocking
public import Logging

/// A logger for tests whose records become lines (`level message key=value ...`, metadata sorted by key),
/// so a test can check what was logged, and what was not.
public final class LogCapture: Sendable {
    private let collected = Locked<[String]>([])
    private let forward: (@Sendable (String) -> Void)?

    /// Keeps the lines, for ``lines``.
    public init() {
        forward = nil
    }

    /// Hands each line to `receive` as it is logged (for a test that waits for one).
    public init(forwardingTo receive: @escaping @Sendable (String) -> Void) {
        forward = receive
    }

    /// The lines kept so far (none when they are forwarded).
    public var lines: [String] { collected.withLock { $0 } }

    /// A logger at `trace` whose records come here.
    public var logger: Logger {
        var logger = Logger(label: "test") { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    private func receive(_ line: String) {
        if let forward { forward(line) } else { collected.withLock { $0.append(line) } }
    }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.receive("\(event.level) \(event.message) \(fields)")
        }
    }
}
