import XCTest
import Basics

final class UTCTimeTests: XCTestCase {
    func testIMFFixdateBecomesISO8601() {
        XCTAssertEqual(UTCTime.iso8601(fromHTTPDate: "Wed, 25 Nov 2026 16:00:09 GMT"), "2026-11-25T16:00:09Z")
        XCTAssertEqual(UTCTime.iso8601(fromHTTPDate: "Sun, 06 Jan 2030 08:49:37 GMT"), "2030-01-06T08:49:37Z")
    }

    func testAnythingElseIsNil() {
        XCTAssertNil(UTCTime.iso8601(fromHTTPDate: "2026-11-25T16:00:09Z"))
        XCTAssertNil(UTCTime.iso8601(fromHTTPDate: "Wed, 25 Foo 2026 16:00:09 GMT"))
        XCTAssertNil(UTCTime.iso8601(fromHTTPDate: "Wed, 25 Nov 2026 16:0:09 GMT"))
        XCTAssertNil(UTCTime.iso8601(fromHTTPDate: ""))
    }
}

final class UTCTimeFormatTests: XCTestCase {
    func testFormatsFromOneCalendarComputation() {
        let t = UTCTime(epochSeconds: 1_440_938_160)
        XCTAssertEqual(t.iso8601, "2015-08-30T12:36:00Z")
        XCTAssertEqual(t.compactTimestamp, "20150830T123600Z")
        XCTAssertEqual(t.compactDay, "20150830")
        XCTAssertEqual(UTCTime.iso8601(epochSeconds: 0), "1970-01-01T00:00:00Z")
        XCTAssertEqual(UTCTime.iso8601(epochSeconds: -1), "1969-12-31T23:59:59Z")
        XCTAssertEqual(UTCTime.iso8601(epochSeconds: 951_782_400), "2000-02-29T00:00:00Z")
    }
}


final class UTCTimeMillisecondsTests: XCTestCase {
    func testRFC3339WithMilliseconds() {
        XCTAssertEqual(UTCTime.iso8601(epochMilliseconds: 0), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(UTCTime.iso8601(epochMilliseconds: 1_440_938_160_042), "2015-08-30T12:36:00.042Z")
        XCTAssertEqual(UTCTime.iso8601(epochMilliseconds: -1), "1969-12-31T23:59:59.999Z")
    }

    func testEventTimesParseToEpochMilliseconds() {
        XCTAssertEqual(UTCTime.epochMilliseconds(iso8601: "1970-01-01T00:00:00.000Z"), 0)
        XCTAssertEqual(UTCTime.epochMilliseconds(iso8601: "2015-08-30T12:36:00.042Z"), 1_440_938_160_042)
        XCTAssertEqual(UTCTime.epochMilliseconds(iso8601: "2015-08-30T12:36:00Z"), 1_440_938_160_000)
        XCTAssertEqual(UTCTime.epochMilliseconds(iso8601: "2015-08-30T12:36:00.5+00:00"), 1_440_938_160_500)
        XCTAssertEqual(UTCTime.epochMilliseconds(iso8601: "2015-08-30T12:36:00.123456Z"), 1_440_938_160_123)
        XCTAssertEqual(UTCTime.epochMilliseconds(iso8601: "2000-02-29T00:00:00Z"), 951_782_400_000)
    }

    func testRoundTripsOverCenturies() {
        for ms in stride(from: Int64(-5_000_000_000_000), through: 9_000_000_000_000, by: 86_399_937_123) {
            XCTAssertEqual(UTCTime.epochMilliseconds(iso8601: UTCTime.iso8601(epochMilliseconds: ms)), ms)
        }
    }

    func testAnythingElseIsNil() {
        for text in ["", "2015-08-30", "2015-08-30T12:36:00", "2015-08-30T12:36:00+02:00", "2015-13-30T12:36:00Z",
                     "2015-08-30T12:36:00.Z", "2015-08-30 12:36:00Z", "2015-08-30T12:36:0xZ"] {
            XCTAssertNil(UTCTime.epochMilliseconds(iso8601: text), text)
        }
    }
}
