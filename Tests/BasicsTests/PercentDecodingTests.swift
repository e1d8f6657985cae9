import XCTest
import Basics

final class PercentDecodingTests: XCTestCase {
    func testPlusIsASpaceAndPercentTwoBIsAPlus() {
        XCTAssertEqual(PercentDecoding.decode("cat+one.jpg", plusIsSpace: true), "cat one.jpg")
        XCTAssertEqual(PercentDecoding.decode("a%2Bb.jpg", plusIsSpace: true), "a+b.jpg")
        XCTAssertEqual(PercentDecoding.decode("test%2Fkey", plusIsSpace: true), "test/key")
    }

    func testUnicodeIsDecodedFromUTF8Bytes() {
        XCTAssertEqual(PercentDecoding.decode("caf%C3%A9+%F0%9F%90%88.png", plusIsSpace: true), "café 🐈.png")
        XCTAssertEqual(PercentDecoding.decode("%e6%97%a5%e6%9c%ac.gif", plusIsSpace: true), "日本.gif")
    }

    func testMalformedEncodingIsRefused() {
        XCTAssertNil(PercentDecoding.decode("bad%G1.jpg", plusIsSpace: true))
        XCTAssertNil(PercentDecoding.decode("truncated%4", plusIsSpace: true))
        XCTAssertNil(PercentDecoding.decode("invalid-utf8-%FF.png", plusIsSpace: true))
    }
}
