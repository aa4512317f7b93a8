import Logging

/// A log line as a value, so the poller's rules can say what to log and tests can compare it.
struct LogLine: Equatable, Sendable {
    var level: Logger.Level
    var message: Logger.Message
    var metadata: Logger.Metadata = [:]

    static func debug(_ message: Logger.Message, _ metadata: Logger.Metadata = [:]) -> LogLine {
        LogLine(level: .debug, message: message, metadata: metadata)
    }
    static func info(_ message: Logger.Message, _ metadata: Logger.Metadata = [:]) -> LogLine {
        LogLine(level: .info, message: message, metadata: metadata)
    }
    static func notice(_ message: Logger.Message, _ metadata: Logger.Metadata = [:]) -> LogLine {
        LogLine(level: .notice, message: message, metadata: metadata)
    }
    static func warning(_ message: Logger.Message, _ metadata: Logger.Metadata = [:]) -> LogLine {
        LogLine(level: .warning, message: message, metadata: metadata)
    }
    static func error(_ message: Logger.Message, _ metadata: Logger.Metadata = [:]) -> LogLine {
        LogLine(level: .error, message: message, metadata: metadata)
    }
}

extension Logger {
    func log(_ line: LogLine) {
        log(level: line.level, line.message, metadata: line.metadata.isEmpty ? nil : line.metadata)
    }
}
