package import DeviceCredential
package import FoundationEssentials

/// The history as `devicecred history` prints it: a table for people, every outside value (action,
/// address, browser, and the profile and id read back from the file) through `DisplayText.terminal`.
package enum HistoryText {
    package static func table(_ entries: [HistoryEntry], now: Date, fullUserAgent: Bool, hadAny: Bool) -> String {
        guard !entries.isEmpty else { return hadAny ? "no history entry matches" : "no history yet" }
        let header = ["TIME", "OUTCOME", "CHANNEL", "PROFILE", "ACTION", "IP ADDRESS", "BROWSER"]
        let rows = entries.map { entry in
            [
                TimeFormatting.timestamp(entry.time, now: now), entry.outcome.rawValue, entry.channel.rawValue,
                DisplayText.terminal(entry.profile, limit: 32), shown(entry.action, limit: 32),
                shown(entry.ipAddress, limit: 48),
                entry.userAgent.map {
                    DisplayText.terminal(
                        fullUserAgent ? $0 : UserAgentSummary.text(for: $0), limit: fullUserAgent ? 512 : 60)
                } ?? "-",
            ]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.enumerated().map { column, value in
                column == row.count - 1 ? value : value + String(repeating: " ", count: widths[column] - value.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// One entry for `--json`: the values exact (the JSON encoder escapes what a terminal would act on).
    package static func document(_ entry: HistoryEntry) -> JSONValue {
        .object([
            "time": .string(entry.time.formatted(.iso8601)), "profile": .string(entry.profile),
            "challengeId": .string(entry.challengeId), "action": entry.action.map { .string($0) } ?? .null,
            "ipAddress": entry.ipAddress.map { .string($0) } ?? .null,
            "userAgent": entry.userAgent.map { .string($0) } ?? .null, "outcome": .string(entry.outcome.rawValue),
            "channel": .string(entry.channel.rawValue),
        ])
    }

    private static func shown(_ text: String?, limit: Int) -> String {
        text.map { DisplayText.terminal($0, limit: limit) } ?? "-"
    }
}
