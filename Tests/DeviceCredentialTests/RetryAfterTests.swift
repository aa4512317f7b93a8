import Foundation
import Testing

@testable import DeviceCredential

/// `Retry-After` in both of its forms, and what is refused.
@Suite struct RetryAfterTests {
    /// 1994-11-06T08:49:37Z, the RFC's example date.
    static let rfcExample = Date(timeIntervalSince1970: 784_111_777)

    @Test func secondsAreTakenAsTheyAre() {
        #expect(RetryAfter.delay("7", now: Self.rfcExample) == .seconds(7))
        #expect(RetryAfter.delay(" 120 ", now: Self.rfcExample) == .seconds(120))
        #expect(RetryAfter.delay("0", now: Self.rfcExample) == .zero)
        #expect(RetryAfter.delay("999999999", now: Self.rfcExample) == RetryAfter.limit)
    }

    @Test("the one cap is an hour: longer delays, in seconds or up to a date, are cut to it")
    func cappedAtAnHour() {
        #expect(RetryAfter.limit == .seconds(3600))
        #expect(RetryAfter.delay("3600", now: Self.rfcExample) == .seconds(3600))
        #expect(RetryAfter.delay("3601", now: Self.rfcExample) == .seconds(3600))
        #expect(RetryAfter.delay("7200", now: Self.rfcExample) == .seconds(3600))
        #expect(RetryAfter.delay("Sun, 06 Nov 1994 10:49:37 GMT", now: Self.rfcExample) == .seconds(3600))
    }

    @Test func anHTTPDateIsMeasuredFromNow() {
        #expect(RetryAfter.httpDate("Sun, 06 Nov 1994 08:49:37 GMT") == Self.rfcExample)
        #expect(RetryAfter.httpDate("Thu, 01 Jan 1970 00:00:00 GMT") == Date(timeIntervalSince1970: 0))
        #expect(RetryAfter.httpDate("Tue, 29 Feb 2028 23:59:59 GMT") == Date(timeIntervalSince1970: 1_835_481_599))
        #expect(RetryAfter.delay("Sun, 06 Nov 1994 08:50:07 GMT", now: Self.rfcExample) == .seconds(30))
        // A date already past asks for no wait.
        #expect(RetryAfter.delay("Sun, 06 Nov 1994 08:00:00 GMT", now: Self.rfcExample) == .zero)
        // As far off as seconds may say: cut to the cap.
        #expect(RetryAfter.delay("Sun, 06 Nov 2094 08:49:37 GMT", now: Self.rfcExample) == RetryAfter.limit)
    }

    @Test(arguments: [
        "", "-5", "soon", "1.5", "Sun, 06 Nov 1994 08:49:37 UTC", "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT",
    ])
    func anythingElseIsIgnored(value: String) {
        #expect(RetryAfter.delay(value, now: Self.rfcExample) == nil)
    }
}
