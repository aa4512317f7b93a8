import FoundationEssentials
import Testing

@testable import DeviceCredentialCLI

@Suite struct TimeFormattingTests {
    @Test(arguments: [
        (0.0, "0s"), (0.9, "0s"), (12, "12s"), (60, "1m"), (252, "4m 12s"), (3600, "1h"), (3725, "1h 2m"),
        (90_061, "1d 1h"),
    ])
    func durations(seconds: Double, expected: String) {
        #expect(TimeFormatting.duration(seconds: seconds) == expected)
    }

    @Test func expiryReadsAsTimeLeftOrAgo() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(TimeFormatting.expiry(now.addingTimeInterval(252.4), now: now) == "expires in 4m 12s")
        #expect(TimeFormatting.expiry(now.addingTimeInterval(-10), now: now) == "expired 10s ago")
    }
}
