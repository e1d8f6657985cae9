import XCTest
@testable import SigV4
import S3

/// URL building: path-style for custom endpoints, virtual-hosted for AWS, and the path-style
/// fallback for bucket names a TLS wildcard certificate cannot cover.
final class AddressingTests: XCTestCase {
    func testCustomEndpointIsPathStyle() {
        let a = S3Addressing(region: "eu-west-1", endpoint: "http://127.0.0.1:8333")
        let object = a.location(bucket: "bkt", key: "images/a b.png")
        XCTAssertEqual(object.url, "http://127.0.0.1:8333/bkt/images/a%20b.png")
        XCTAssertEqual(object.host, "127.0.0.1:8333")
        XCTAssertEqual(object.encodedPath, "/bkt/images/a%20b.png")
        XCTAssertEqual(a.location(bucket: "bkt", key: nil).url, "http://127.0.0.1:8333/bkt")
        XCTAssertEqual(a.location(bucket: "my.dotted.bucket", key: "k").url, "http://127.0.0.1:8333/my.dotted.bucket/k")
    }

    func testEndpointWithTrailingSlashOrBasePath() {
        let config = S3Configuration(region: "us-east-1", credentials: AWSCredentials(accessKeyId: "a", secretAccessKey: "s"),
                                     endpoint: "https://storage.example:9000/")
        XCTAssertEqual(config.endpoint, "https://storage.example:9000")
        let a = S3Addressing(region: "us-east-1", endpoint: "https://gw.example/s3/")
        let location = a.location(bucket: "b", key: "k")
        XCTAssertEqual(location.url, "https://gw.example/s3/b/k")
        XCTAssertEqual(location.host, "gw.example")
        XCTAssertEqual(location.encodedPath, "/s3/b/k")
    }

    func testAWSIsVirtualHosted() {
        let a = S3Addressing(region: "eu-central-1", endpoint: nil)
        let object = a.location(bucket: "my-bucket", key: "dir/café.json")
        XCTAssertEqual(object.url, "https://my-bucket.s3.eu-central-1.amazonaws.com/dir/caf%C3%A9.json")
        XCTAssertEqual(object.host, "my-bucket.s3.eu-central-1.amazonaws.com")
        XCTAssertEqual(object.encodedPath, "/dir/caf%C3%A9.json")
        XCTAssertEqual(a.location(bucket: "my-bucket", key: nil).url, "https://my-bucket.s3.eu-central-1.amazonaws.com/")
    }

    func testAWSBucketsWithDotsFallBackToPathStyle() {
        let a = S3Addressing(region: "us-west-2", endpoint: nil)
        let object = a.location(bucket: "images.example.com", key: "a.png")
        XCTAssertEqual(object.url, "https://s3.us-west-2.amazonaws.com/images.example.com/a.png")
        XCTAssertEqual(object.host, "s3.us-west-2.amazonaws.com")
        XCTAssertEqual(a.location(bucket: "Legacy_Bucket", key: "k").url, "https://s3.us-west-2.amazonaws.com/Legacy_Bucket/k")
    }

    func testVirtualHostableNames() {
        XCTAssertTrue(S3Addressing.isVirtualHostable("abc"))
        XCTAssertTrue(S3Addressing.isVirtualHostable("my-bucket-1"))
        XCTAssertFalse(S3Addressing.isVirtualHostable("ab"))
        XCTAssertFalse(S3Addressing.isVirtualHostable("a.b.c"))
        XCTAssertFalse(S3Addressing.isVirtualHostable("-abc"))
        XCTAssertFalse(S3Addressing.isVirtualHostable("abc-"))
        XCTAssertFalse(S3Addressing.isVirtualHostable("ABC"))
        XCTAssertFalse(S3Addressing.isVirtualHostable(String(repeating: "a", count: 64)))
    }

    /// The China regions' S3 is under `amazonaws.com.cn` (the template's ARNs already follow the
    /// partition); GovCloud stays under `amazonaws.com`.
    func testChinaRegionsUseTheirOwnDomain() {
        let china = S3Addressing(region: "cn-north-1", endpoint: nil)
        XCTAssertEqual(china.location(bucket: "b-1", key: "k").host, "b-1.s3.cn-north-1.amazonaws.com.cn")
        XCTAssertEqual(china.location(bucket: "b.1", key: "k").url, "https://s3.cn-north-1.amazonaws.com.cn/b.1/k")
        XCTAssertEqual(S3Addressing(region: "cn-northwest-1", endpoint: nil).location(bucket: "abc", key: nil).host,
                       "abc.s3.cn-northwest-1.amazonaws.com.cn")
        XCTAssertEqual(S3Addressing(region: "us-gov-west-1", endpoint: nil).location(bucket: "abc", key: nil).host,
                       "abc.s3.us-gov-west-1.amazonaws.com")
    }
}
