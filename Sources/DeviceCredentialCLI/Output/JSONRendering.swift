import DeviceCredential
import FoundationEssentials

/// Renders the documents `--json` prints: one line, keys sorted, so scripts and `jq` read them easily.
enum JSONRendering {
    static func render(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }
}
