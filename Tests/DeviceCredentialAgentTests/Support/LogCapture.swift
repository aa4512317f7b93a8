import Foundation
import Logging

/// A swift-log handler that writes each record as one line ("level message key=value ...") into a LineLog.
struct LogCapture: LogHandler {
    let lines: LineLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        lines.append(Data("\(event.level) \(event.message) \(fields)\n".utf8))
    }

    static func logger(into log: LineLog) -> Logger {
        Logger(label: "test", factory: { _ in LogCapture(lines: log) })
    }
}
