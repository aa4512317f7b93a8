public import Logging

/// A log handler that shows outside text safely: it passes every message and metadata value through
/// `DisplayText.terminal` before the handler it wraps writes them, so a challenge id, an IP address or an
/// error description from the server cannot move the cursor of whoever reads the log or the journal,
/// nor forge a log line with a newline. The executables wrap their stderr handler with it; one place,
/// rather than a call at each log statement.
public struct DisplayTextLogHandler: LogHandler {
    private var wrapped: any LogHandler

    /// Wraps `handler`, which does the writing.
    public init(wrapping handler: any LogHandler) {
        wrapped = handler
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { wrapped.metadataProvider }
        set { wrapped.metadataProvider = newValue.map(Self.shown) }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue.mapValues(Self.shown) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue.map(Self.shown) }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = Logger.Message(stringLiteral: DisplayText.terminal(event.message.description))
        event.metadata = event.metadata?.mapValues(Self.shown)
        wrapped.log(event: event)
    }

    /// A metadata value with every string in it shown safely (keys are the code's own).
    static func shown(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(DisplayText.terminal(text))
        case .stringConvertible(let convertible): .string(DisplayText.terminal(convertible.description))
        case .array(let values): .array(values.map(shown))
        case .dictionary(let values): .dictionary(values.mapValues(shown))
        }
    }

    private static func shown(_ provider: Logger.MetadataProvider) -> Logger.MetadataProvider {
        Logger.MetadataProvider { provider.get().mapValues(shown) }
    }
}
