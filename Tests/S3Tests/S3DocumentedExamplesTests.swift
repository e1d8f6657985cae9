import XCTest
import Basics
@testable import SigV4
@testable import S3

/// The worked examples in AWS's S3 SigV4 documentation (examplebucket, AKIAIOSFODNN7EXAMPLE,
/// 2013-05-24): S3-specific signing (x-amz-content-sha256 signed, `$` encoded in the key, empty
/// query values) and a presigned URL, checked to the published signatures.
final class S3DocumentedExamplesTests: XCTestCase {
    let credentials = AWSCredentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    let may24: Int64 = 1_369_353_600 // 2013-05-24T00:00:00Z
    let host = (name: "Host", value: "examplebucket.s3.amazonaws.com")

    var signer: SigV4Signer { let t = may24; return SigV4Signer(credentials: credentials, region: "us-east-1", clock: { t }) }

    func testGetObjectWithRange() {
        let result = signer.signHeaders(SigV4Request(method: "GET", encodedPath: "/test.txt",
                                                     headers: [host, (name: "Range", value: "bytes=0-9")],
                                                     payloadHash: Digest.emptyPayloadHash))
        XCTAssertEqual(result.canonicalRequest, """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        XCTAssertEqual(result.stringToSign, """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
            """)
        XCTAssertEqual(result.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        XCTAssertEqual(result.authorization,
                       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                       + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                       + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    func testPutObjectWithDollarInKey() {
        let body = Array("Welcome to Amazon S3.".utf8)
        let result = signer.signHeaders(SigV4Request(
            method: "PUT", encodedPath: "/" + URIEncoding.encodePath("test$file.text"),
            headers: [host, (name: "Date", value: "Fri, 24 May 2013 00:00:00 GMT"),
                      (name: "x-amz-storage-class", value: "REDUCED_REDUNDANCY")],
            payloadHash: Digest.sha256Hex(body)))
        XCTAssertTrue(result.canonicalRequest.hasPrefix("PUT\n/test%24file.text\n\n"))
        XCTAssertEqual(result.stringToSign.split(separator: "\n").last, "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d")
        XCTAssertEqual(result.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    func testGetBucketLifecycleEmptyQueryValue() {
        let result = signer.signHeaders(SigV4Request(method: "GET", encodedPath: "/", query: [(name: "lifecycle", value: "")],
                                                     headers: [host], payloadHash: Digest.emptyPayloadHash))
        XCTAssertTrue(result.canonicalRequest.hasPrefix("GET\n/\nlifecycle=\n"))
        XCTAssertEqual(result.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    func testListObjectsQuerySorted() {
        let result = signer.signHeaders(SigV4Request(method: "GET", encodedPath: "/",
                                                     query: [(name: "prefix", value: "J"), (name: "max-keys", value: "2")],
                                                     headers: [host], payloadHash: Digest.emptyPayloadHash))
        XCTAssertTrue(result.canonicalRequest.hasPrefix("GET\n/\nmax-keys=2&prefix=J\n"))
        XCTAssertEqual(result.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    func testPresignedGetURL() {
        let result = signer.presign(SigV4Request(method: "GET", encodedPath: "/test.txt", headers: [host],
                                                 payloadHash: SigV4Signer.unsignedPayload), expiresInSeconds: 86400)
        XCTAssertEqual("https://examplebucket.s3.amazonaws.com/test.txt?" + result.queryString,
                       "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                       + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                       + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                       + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    func testAMZDateFormatting() {
        XCTAssertEqual(UTCTime(epochSeconds: may24).compactTimestamp, "20130524T000000Z")
        XCTAssertEqual(UTCTime(epochSeconds: 1_440_938_160).compactTimestamp, "20150830T123600Z")
        XCTAssertEqual(UTCTime(epochSeconds: 1_440_938_160).compactDay, "20150830")
        XCTAssertEqual(UTCTime(epochSeconds: 4_102_444_799).compactTimestamp, "20991231T235959Z")
    }
}
