import XCTest
@testable import API

final class PathSegmentTests: XCTestCase {
    func isDot(_ s: String, percentEncoded: Bool = false) -> Bool {
        PathSegment.isDot(Array(s.utf8)[...], percentEncoded: percentEncoded)
    }

    func testLiteralDotSegments() {
        XCTAssertTrue(isDot("."))
        XCTAssertTrue(isDot(".."))
        for fine in ["", "...", ".a", "a.", "..a", "%2e", "%2e%2e"] { XCTAssertFalse(isDot(fine), fine) }
    }

    func testPercentEncodedDotsInRawPaths() {
        for dot in [".", "..", "%2e", "%2E", "%2e.", ".%2E", "%2e%2E"] { XCTAssertTrue(isDot(dot, percentEncoded: true), dot) }
        for fine in ["%2e%2e%2e", "%2f", "%2", "%", "%2ea", "..."] { XCTAssertFalse(isDot(fine, percentEncoded: true), fine) }
    }
}
