import XCTest
import Basics

final class ETagTests: XCTestCase {
    func testUnquotedDropsQuotesAndTheWeakMarker() {
        XCTAssertEqual(ETag.unquoted("\"abc\""), "abc")
        XCTAssertEqual(ETag.unquoted("W/\"abc\""), "abc")
        XCTAssertEqual(ETag.unquoted("abc"), "abc")
        XCTAssertEqual(ETag.unquoted("\""), "\"")
    }
}
