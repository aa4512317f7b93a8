import DeviceCredential
import FoundationEssentials

/// Renders the documents `--json` prints: one line, keys sorted, so scripts and `jq` read them easily.
/// Outside strings keep their exact value; the characters a terminal could act on are `\uXXXX` escapes
/// (the encoder's for C0 controls, `DisplayText.json`'s for C1 controls and the line separators).
enum JSONRendering {
    static func render(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "null" }
        return DisplayText.json(String(decoding: data, as: UTF8.self))
    }
}
