public import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension ChallengeText {
    /// When a challenge expires, as a local clock time: "14:05", or "2026-11-30 14:05" when that is not
    /// today. A clock time stays true on a notification that stays on screen, where a countdown would
    /// freeze. Nil for a time no calendar shows (the value comes from the network).
    public static func expiryClockTime(_ expiry: Date, now: Date = Date()) -> String? {
        guard let expiryTime = localTime(expiry), let nowTime = localTime(now) else { return nil }
        let clock = twoDigits(expiryTime.tm_hour) + ":" + twoDigits(expiryTime.tm_min)
        let sameDay =
            expiryTime.tm_year == nowTime.tm_year && expiryTime.tm_mon == nowTime.tm_mon
            && expiryTime.tm_mday == nowTime.tm_mday
        guard !sameDay else { return clock }
        let date =
            "\(1900 + Int(expiryTime.tm_year))-\(twoDigits(expiryTime.tm_mon + 1))-\(twoDigits(expiryTime.tm_mday))"
        return date + " " + clock
    }

    private static func localTime(_ date: Date) -> tm? {
        let seconds = date.timeIntervalSince1970
        // Within years 1 to 9999: no conversion below can trap, whatever the server sent.
        guard seconds.isFinite, seconds > -62_135_596_800, seconds < 253_402_300_800 else { return nil }
        var time = time_t(seconds.rounded(.down))
        var parts = tm()
        tzset()
        guard localtime_r(&time, &parts) != nil else { return nil }
        return parts
    }

    private static func twoDigits(_ value: Int32) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
