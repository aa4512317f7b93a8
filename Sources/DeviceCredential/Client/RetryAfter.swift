package import FoundationEssentials

/// Reads a `Retry-After` header (RFC 9110 §10.2.3): a number of seconds, or an HTTP date (IMF-fixdate,
/// `Sun, 06 Nov 1994 08:49:37 GMT`). Nil for anything else, so a garbled header never stalls a client.
package enum RetryAfter {
    /// The one cap on `Retry-After`, for the library and the agent (whose `PollSchedule` uses this):
    /// an hour, longer than any sensible back-off, and as long as a person waiting for a prompt should
    /// be kept waiting by a broken or hostile header. A longer delay, in seconds or up to a date, is cut
    /// to this; an app that is asked again after it gets a new `Retry-After` then.
    package static let limit = Duration.seconds(3600)

    /// The delay `value` asks for, measured from `now`; a date in the past asks for none.
    package static func delay(_ value: String, now: Date) -> Duration? {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let trimmed = String(value.drop(while: isBlank).reversed().drop(while: isBlank).reversed())
        if let seconds = Int(trimmed), seconds >= 0 {
            return min(.seconds(seconds), limit)
        }
        guard let date = httpDate(trimmed) else { return nil }
        return min(.seconds(max(0, date.timeIntervalSince(now))), limit)
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// An IMF-fixdate, the only date form senders may generate (also read by `devicecred doctor` from `Date`).
    package static func httpDate(_ text: String) -> Date? {
        let fields = text.split(separator: " ")
        guard fields.count == 6, fields[0].count == 4, fields[0].hasSuffix(","), fields[5] == "GMT",
            let day = Int(fields[1]), (1...31).contains(day), let monthIndex = months.firstIndex(of: String(fields[2])),
            let year = Int(fields[3]), fields[3].count == 4
        else { return nil }
        let time = fields[4].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3, (0...23).contains(time[0]), (0...59).contains(time[1]), (0...60).contains(time[2])
        else { return nil }
        let days = daysSinceEpoch(year: year, month: monthIndex + 1, day: day)
        return Date(timeIntervalSince1970: Double(days * 86400 + time[0] * 3600 + time[1] * 60 + time[2]))
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    private static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }
}
