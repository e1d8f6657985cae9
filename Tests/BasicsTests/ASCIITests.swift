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

    func testCountOfAByte() {
        let bytes = Array("a\nbb\n\nccc\n".utf8)
        XCTAssertEqual(ASCII.count(of: 0x0A, in: bytes[...]), 4)
        XCTAssertEqual(ASCII.count(of: 0x0A, in: bytes[2..<5]), 1, "a slice counts only its own bytes")
        XCTAssertEqual(ASCII.count(of: 0x0A, in: bytes[0..<0]), 0)
        XCTAssertEqual(ASCII.count(of: 0x0A, in: bytes[bytes.count...]), 0)
        var long = [UInt8](repeating: 0x61, count: 100_003)
        for i in stride(from: 0, to: long.count, by: 7) { long[i] = 0x0A }
        XCTAssertEqual(ASCII.count(of: 0x0A, in: long[...]), long.filter { $0 == 0x0A }.count)
        XCTAssertEqual(ASCII.count(of: 0x0A, in: long[1...]), long.dropFirst().filter { $0 == 0x0A }.count)
    }
}
