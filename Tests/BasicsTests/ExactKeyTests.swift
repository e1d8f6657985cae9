import Basics
import XCTest

final class ExactKeyTests: XCTestCase {
    func testCommonPrefixAndOrderAreBytes() {
        XCTAssertEqual(ExactKey.commonPrefix(["images/a.png", "images/b.png"]), "images/")
        // "é" is C3 A9, "ê" is C3 AA: the shared C3 is half a character and is dropped.
        XCTAssertEqual(Array(ExactKey.commonPrefix(["x/\u{E9}", "x/\u{EA}"]).utf8), Array("x/".utf8))
        XCTAssertTrue(ExactKey("Z") < ExactKey("a"))
        XCTAssertFalse(ExactKey("cafe\u{301}").hasPrefix(ExactKey("caf\u{E9}")))
    }

    func testKeysThatDifferOnlyInNormalizationAreTwoKeys() {
        XCTAssertNotEqual(ExactKey("caf\u{E9}"), ExactKey("cafe\u{301}"))
        XCTAssertEqual("caf\u{E9}", "cafe\u{301}", "(Swift's String equality says otherwise)")
    }
}
