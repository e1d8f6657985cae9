import XCTest
import Basics

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
