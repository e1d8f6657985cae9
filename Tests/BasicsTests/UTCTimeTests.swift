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

final class Base64Tests: XCTestCase {
    func testStandardRoundTripsAndPadding() {
        XCTAssertEqual(Base64.encode(Array(#"{"a":1}"#.utf8)), "eyJhIjoxfQ==")
        XCTAssertEqual(Base64.decode("eyJhIjoxfQ=="), Array(#"{"a":1}"#.utf8))
        XCTAssertEqual(Base64.decode("eyJhIjoxfQ"), Array(#"{"a":1}"#.utf8))
        XCTAssertEqual(Base64.decode("+/8="), [0xFB, 0xFF])
        XCTAssertEqual(Base64.decode(""), [])
        for bad in ["a", "ab=c", "abc==", "ab!c", "-_8="] { XCTAssertNil(Base64.decode(bad), bad) }
    }

    func testURLAlphabetHasNoPadding() {
        XCTAssertEqual(Base64.encode([0xFB, 0xFF], alphabet: .url), "-_8")
        XCTAssertEqual(Base64.decode("-_8", alphabet: .url), [0xFB, 0xFF])
        XCTAssertNil(Base64.decode("-_8=", alphabet: .url))
        XCTAssertNil(Base64.decode("+/8", alphabet: .url))
        for n in 0..<40 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            XCTAssertEqual(Base64.decode(Base64.encode(bytes)), bytes)
            XCTAssertEqual(Base64.decode(Base64.encode(bytes, alphabet: .url), alphabet: .url), bytes)
        }
    }
}

final class ETagTests: XCTestCase {
    func testUnquotedDropsQuotesAndTheWeakMarker() {
        XCTAssertEqual(ETag.unquoted("\"abc\""), "abc")
        XCTAssertEqual(ETag.unquoted("W/\"abc\""), "abc")
        XCTAssertEqual(ETag.unquoted("abc"), "abc")
        XCTAssertEqual(ETag.unquoted("\""), "\"")
    }
}

final class BackoffTests: XCTestCase {
    func testCeilingsDoubleAndCapWithoutOverflow() {
        let backoff = Backoff(baseMs: 10, maxMs: 1_000)
        XCTAssertEqual((1...9).map(backoff.ceiling(afterAttempt:)), [10, 20, 40, 80, 160, 320, 640, 1000, 1000])
        XCTAssertEqual(backoff.ceiling(afterAttempt: 500), 1000)
        XCTAssertEqual(Backoff(baseMs: Int.max / 2, maxMs: 5).ceiling(afterAttempt: 3), 5)
    }
}

final class ASCIITests: XCTestCase {
    func testTrimAndCaseTouchOnlyASCII() {
        XCTAssertEqual(ASCII.trimmed(" \t cat.png \r\n"), "cat.png")
        XCTAssertEqual(ASCII.trimmed("   "), "")
        XCTAssertEqual(ASCII.lowercased("Content-Type É"), "content-type É")
        XCTAssertEqual(ASCII.uppercased("get é"), "GET é")
        XCTAssertEqual(ASCII.hexValue(UInt8(ascii: "F")), 15)
        XCTAssertNil(ASCII.hexValue(UInt8(ascii: "g")))
    }
}
