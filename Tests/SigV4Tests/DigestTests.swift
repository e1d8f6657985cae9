/// The payload hash a request signs (`Digest.payloadHash`, what S3Client and sigv4-sign use):
/// SHA-256 in lower-case hex, and the precomputed hash for the empty body of every GET or HEAD.
import XCTest
@testable import SigV4

final class DigestTests: XCTestCase {
    func testAnEmptyBodyGetsThePrecomputedHash() {
        XCTAssertEqual(Digest.payloadHash([]), Digest.emptyPayloadHash)
        XCTAssertEqual(Digest.sha256Hex([]), Digest.emptyPayloadHash, "the precomputed constant is SHA-256 of nothing")
    }

    func testABodyGetsItsSHA256() {
        // FIPS 180-2's "abc", and the body of the S3 documentation's PUT example.
        XCTAssertEqual(Digest.payloadHash(Array("abc".utf8)),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(Digest.payloadHash(Array("Welcome to Amazon S3.".utf8)),
                       "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
    }
}
