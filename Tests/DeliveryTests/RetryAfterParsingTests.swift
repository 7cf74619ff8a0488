@testable import Delivery
import Testing

@Suite("Retry-After parsing")
struct RetryAfterParsingTests {
    @Test("Delay-seconds are taken as given, negative ones as zero")
    func delaySeconds() {
        #expect(RetryAfter.seconds(from: "120", nowMilliseconds: 0) == 120)
        #expect(RetryAfter.seconds(from: " 5 ", nowMilliseconds: 0) == 5)
        #expect(RetryAfter.seconds(from: "-3", nowMilliseconds: 0) == 0)
    }

    @Test("A hostile huge delay is clamped instead of overflowing")
    func hugeDelayIsClamped() {
        #expect(RetryAfter.seconds(from: "9223372036854775807", nowMilliseconds: 0) == 31_536_000)
        #expect(RetryAfter.seconds(from: "99999999999999999999999", nowMilliseconds: 0) == nil)
    }

    @Test("An IMF-fixdate is turned into seconds from now, rounded up")
    func httpDate() {
        // Sun, 06 Nov 1994 08:49:37 GMT = 784111777 (RFC 9110's example).
        #expect(RetryAfter.imfFixdate("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(RetryAfter.seconds(from: "Sun, 06 Nov 1994 08:49:37 GMT", nowMilliseconds: 784_111_767_500) == 10)
        #expect(RetryAfter.seconds(from: "Sun, 06 Nov 1994 08:49:37 GMT", nowMilliseconds: 784_111_800_000) == 0)
        #expect(RetryAfter.imfFixdate("Thu, 29 Feb 2024 23:59:59 GMT") == 1_709_251_199)
    }

    @Test("Malformed dates are ignored")
    func malformedDates() {
        #expect(RetryAfter.seconds(from: "tomorrow", nowMilliseconds: 0) == nil)
        #expect(RetryAfter.seconds(from: "Sun, 06 Foo 1994 08:49:37 GMT", nowMilliseconds: 0) == nil)
        #expect(RetryAfter.seconds(from: "Sun, 06 Nov 1994 25:49:37 GMT", nowMilliseconds: 0) == nil)
        #expect(RetryAfter.seconds(from: "", nowMilliseconds: 0) == nil)
    }
}
