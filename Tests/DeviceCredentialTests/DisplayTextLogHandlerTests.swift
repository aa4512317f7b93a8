import DeviceCredential
import DeviceCredentialLocking
import Logging
import Testing

@Suite("Logs show outside text safely")
struct DisplayTextLogHandlerTests {
    /// Keeps what reaches the wrapped handler, as the stream handler would write it.
    final class Recorder: Sendable {
        let events = Locked<[(message: String, metadata: Logger.Metadata)]>([])
    }

    struct RecordingHandler: LogHandler {
        let recorder: Recorder
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        var metadataProvider: Logger.MetadataProvider?
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            recorder.events.withLock { $0.append((event.message.description, merged)) }
        }
    }

    @Test("a message, its metadata and the logger's own metadata reach the log escaped")
    func escapes() throws {
        let recorder = Recorder()
        var logger = Logger(label: "test") { _ in
            DisplayTextLogHandler(wrapping: RecordingHandler(recorder: recorder))
        }
        logger[metadataKey: "challengeId"] = "id\u{1B}[2J"
        logger.info(
            "received \("x\ny")",
            metadata: [
                "ipAddress": "10.0.0.1\r\u{9B}1A",
                "list": .array(["a\u{7}"]),
                "nested": .dictionary(["k": "v\u{202E}"]),
            ])
        let event = try #require(recorder.events.withLock { $0.first })
        #expect(event.message == "received x\\ny")
        #expect(event.metadata["challengeId"] == "id\\e[2J")
        #expect(event.metadata["ipAddress"] == "10.0.0.1\\r\\u{9B}1A")
        #expect(event.metadata["list"] == .array(["a\\x07"]))
        #expect(event.metadata["nested"] == .dictionary(["k": "v\\u{202E}"]))
    }
}
