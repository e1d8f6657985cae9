import XCTest
@testable import Handlers

final class HTTPDateTests: XCTestCase {
    func testIMFFixdateBecomesISO8601() {
        XCTAssertEqual(HTTPDate.iso8601("Wed, 25 Nov 2026 16:00:09 GMT"), "2026-11-25T16:00:09Z")
        XCTAssertEqual(HTTPDate.iso8601("Sun, 06 Jan 2030 08:49:37 GMT"), "2030-01-06T08:49:37Z")
    }

    func testAnythingElseIsNil() {
        XCTAssertNil(HTTPDate.iso8601("2026-11-25T16:00:09Z"))
        XCTAssertNil(HTTPDate.iso8601("Wed, 25 Foo 2026 16:00:09 GMT"))
        XCTAssertNil(HTTPDate.iso8601("Wed, 25 Nov 2026 16:0:09 GMT"))
        XCTAssertNil(HTTPDate.iso8601(""))
    }
}
