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

