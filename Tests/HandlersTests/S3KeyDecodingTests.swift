import XCTest
@testable import Handlers

final class S3KeyDecodingTests: XCTestCase {
    func testPlusIsASpaceAndPercentTwoBIsAPlus() {
        XCTAssertEqual(S3KeyDecoding.decode("cat+one.jpg"), "cat one.jpg")
        XCTAssertEqual(S3KeyDecoding.decode("a%2Bb.jpg"), "a+b.jpg")
        XCTAssertEqual(S3KeyDecoding.decode("test%2Fkey"), "test/key")
    }

    func testUnicodeIsDecodedFromUTF8Bytes() {
        XCTAssertEqual(S3KeyDecoding.decode("caf%C3%A9+%F0%9F%90%88.png"), "café 🐈.png")
        XCTAssertEqual(S3KeyDecoding.decode("%e6%97%a5%e6%9c%ac.gif"), "日本.gif")
    }

    func testMalformedEncodingIsRefused() {
        XCTAssertNil(S3KeyDecoding.decode("bad%G1.jpg"))
        XCTAssertNil(S3KeyDecoding.decode("truncated%4"))
        XCTAssertNil(S3KeyDecoding.decode("invalid-utf8-%FF.png"))
    }
}
