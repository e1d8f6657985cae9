/// Object-key percent-encoding, S3's way: any byte outside A-Z a-z 0-9 - . _ ~ becomes %XX
/// (upper case), `/` survives in paths only, and nothing is encoded twice.
import XCTest
@testable import SigV4
import Basics

final class KeyEncodingTests: XCTestCase {
    func testCharactersThatMustBeEncoded() {
        XCTAssertEqual(URIEncoding.encodePath("a b"), "a%20b")
        XCTAssertEqual(URIEncoding.encodePath("a+b"), "a%2Bb")
        XCTAssertEqual(URIEncoding.encodePath("a=b&c"), "a%3Db%26c")
        XCTAssertEqual(URIEncoding.encodePath("(1)"), "%281%29")
        XCTAssertEqual(URIEncoding.encodePath("100%"), "100%25")
        XCTAssertEqual(URIEncoding.encodePath("%20"), "%2520", "an already-encoded-looking key is data: encoded once more")
        XCTAssertEqual(URIEncoding.encodePath("test$file.text"), "test%24file.text")
        XCTAssertEqual(URIEncoding.encodePath("a:b@c,d;e!f*g'h"), "a%3Ab%40c%2Cd%3Be%21f%2Ag%27h")
    }

    func testUTF8BytesAreEncodedInUpperCaseHex() {
        XCTAssertEqual(URIEncoding.encodePath("café"), "caf%C3%A9")
        XCTAssertEqual(URIEncoding.encodePath("ü"), "%C3%BC")
        XCTAssertEqual(URIEncoding.encodePath("😀"), "%F0%9F%98%80")
        XCTAssertEqual(URIEncoding.encodePath("ሴ"), "%E1%88%B4")
    }

    func testUnreservedAndSlashAreKeptInPaths() {
        let unreserved = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        XCTAssertEqual(URIEncoding.encodePath(unreserved), unreserved)
        XCTAssertEqual(URIEncoding.encodePath("photos/2024/a b.png"), "photos/2024/a%20b.png")
        XCTAssertEqual(URIEncoding.encodePath("a//b/"), "a//b/", "empty segments are kept: S3 keys may contain them")
        XCTAssertEqual(URIEncoding.encodePath("./../x"), "./../x", "dot segments are not resolved")
    }

    func testQueryComponentsEncodeTheSlashToo() {
        XCTAssertEqual(URIEncoding.encodeQueryComponent("list/a b+c"), "list%2Fa%20b%2Bc")
        XCTAssertEqual(URIEncoding.encodeQueryComponent("AKID/20150830/us-east-1/s3/aws4_request"),
                       "AKID%2F20150830%2Fus-east-1%2Fs3%2Faws4_request")
    }

    func testTheRecordedOddKey() {
        XCTAssertEqual(URIEncoding.encodePath("odd keys/café + ü=1&(2)%.json"),
                       "odd%20keys/caf%C3%A9%20%2B%20%C3%BC%3D1%26%282%29%25.json")
    }
}
