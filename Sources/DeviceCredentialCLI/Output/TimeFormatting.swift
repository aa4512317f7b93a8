import FoundationEssentials

/// Times as people read them in a terminal: "expires in 4m 12s".
enum TimeFormatting {
    /// Longer than any time worth counting (about 31 million years): longer ones are cut to it, so no
    /// value, however large or not a number, can trap the conversion to `Int`.
    static let longest: Double = 1e15

    /// "4m 12s", "1h 5m", "12s"; at most two units, rounded down. Total: NaN and negatives are "0s".
    static func duration(seconds: Double) -> String {
        let total = seconds > 0 ? Int(min(seconds, longest).rounded(.down)) : 0
        let (days, hours, minutes, rest) = (total / 86_400, total / 3600 % 24, total / 60 % 60, total % 60)
        let parts: [(Int, String)] = [(days, "d"), (hours, "h"), (minutes, "m"), (rest, "s")]
        guard let first = parts.firstIndex(where: { $0.0 > 0 }) else { return "0s" }
        return parts[first...].prefix(2).filter { $0.0 > 0 }.map { "\($0.0)\($0.1)" }.joined(separator: " ")
    }

    /// "expires in 4m 12s", or "expired 10s ago".
    static func expiry(_ date: Date, now: Date) -> String {
        let left = date.timeIntervalSince(now)
        return left >= 1 ? "expires in \(duration(seconds: left))" : "expired \(duration(seconds: -left)) ago"
    }

    /// "3m 10s ago", or "in 5s" for a time not reached yet (a clock skew).
    static func relative(_ date: Date, now: Date) -> String {
        let age = now.timeIntervalSince(date)
        return age >= 0 ? "\(duration(seconds: age)) ago" : "in \(duration(seconds: -age))"
    }

    /// An ISO-8601 UTC time, with how long ago it was: "2026-11-29T02:13:11Z (3m 10s ago)".
    static func timestamp(_ date: Date, now: Date) -> String {
        "\(date.formatted(.iso8601)) (\(relative(date, now: now)))"
    }
}
