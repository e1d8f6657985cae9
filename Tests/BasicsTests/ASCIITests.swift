import XCTest
import Basics

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
