import Basics
import XCTest

final class HexTests: XCTestCase {
    func testBytesInEitherCase() {
        XCTAssertEqual(Hex.encode([0x00, 0x0f, 0xa0, 0xff]), "000fa0ff")
        XCTAssertEqual(Hex.encode([0x00, 0x0f, 0xa0, 0xff], uppercase: true), "000FA0FF")
        XCTAssertEqual(Hex.encode(0x1b), "1b")
        XCTAssertEqual(Hex.encode([UInt8]()), "")
        var out = Array("%".utf8)
        Hex.append(0x2f, to: &out, uppercase: true)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "%2F")
    }

    func testPaddedIsAlwaysSixteenDigits() {
        XCTAssertEqual(Hex.padded(0), "0000000000000000")
        XCTAssertEqual(Hex.padded(0xab), "00000000000000ab")
        XCTAssertEqual(Hex.padded(0x0123_4567_89ab_cdef), "0123456789abcdef")
        XCTAssertEqual(Hex.padded(.max), "ffffffffffffffff")
    }
}
