import HTTPClient
import XCTest
import TestSupport
@testable import SigV4
@testable import S3

/// What the client puts on the wire for each operation (headers, query, body) and how it reads
/// edge-case answers, checked with a scripted transport.
final class ClientRequestTests: XCTestCase {
    func client(_ transport: HTTPTransport, region: String = "us-east-1", endpoint: String? = "http://127.0.0.1:9",
                token: String? = nil) -> S3Client {
        S3Client(configuration: S3Configuration(region: region,
                                                credentials: AWSCredentials(accessKeyId: "AK", secretAccessKey: "SK", sessionToken: token),
                                                endpoint: endpoint),
                 transport: transport, hooks: FakeTime().hooks())
    }

    func header(_ request: HTTPRequest, _ name: String) -> String? {
        request.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    func testEveryRequestCarriesHostDateContentHashAndAuthorization() throws {
        let transport = ScriptedTransport(statuses: [200])
        _ = try client(transport, token: "TOKEN").putObject(bucket: "b", key: "k", body: Array("hello".utf8))
        let request = transport.requests[0]
        XCTAssertEqual(header(request, "Host"), "127.0.0.1:9")
        XCTAssertEqual(header(request, "X-Amz-Date"), "20150830T123600Z")
        XCTAssertEqual(header(request, "x-amz-content-sha256"), "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
        XCTAssertEqual(header(request, "X-Amz-Security-Token"), "TOKEN")
        let authorization = try XCTUnwrap(header(request, "Authorization"))
        XCTAssertTrue(authorization.contains("SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"),
                      authorization)
        XCTAssertEqual(header(request, "Content-Type"), "application/octet-stream", "never left for libcurl to pick")
    }

    func testConditionalHeaders() throws {
        let transport = ScriptedTransport(statuses: [200, 200, 200])
        let c = client(transport)
        _ = try c.putObject(bucket: "b", key: "k", body: [1], contentType: "image/png", condition: .ifMatch("\"abc\""))
        _ = try c.putObject(bucket: "b", key: "k", body: [1], condition: .ifNoneExists)
        _ = try c.getObject(bucket: "b", key: "k", range: S3ByteRange(first: 100), ifMatch: "\"abc\"")
        XCTAssertEqual(header(transport.requests[0], "If-Match"), "\"abc\"")
        XCTAssertEqual(header(transport.requests[0], "Content-Type"), "image/png")
        XCTAssertNil(header(transport.requests[0], "If-None-Match"))
        XCTAssertEqual(header(transport.requests[1], "If-None-Match"), "*")
        XCTAssertNil(header(transport.requests[1], "If-Match"))
        XCTAssertEqual(header(transport.requests[2], "If-Match"), "\"abc\"")
        XCTAssertEqual(header(transport.requests[2], "Range"), "bytes=100-")
    }

    func testGetIfMatchMismatchIs412() {
        let transport = ScriptedTransport([.response(HTTPResponse(status: 412, body: Array(s3ErrorXML("PreconditionFailed").utf8)))])
        XCTAssertThrowsError(try client(transport).getObject(bucket: "b", key: "k", ifMatch: "\"old\"")) { error in
            XCTAssertTrue((error as! S3Error).isPreconditionFailed)
        }
    }

    func testA304WithoutIfNoneMatchIsAnError() {
        let transport = ScriptedTransport(statuses: [304])
        XCTAssertThrowsError(try client(transport).getObject(bucket: "b", key: "k")) { error in
            XCTAssertEqual((error as! S3Error).code, "NotModified")
        }
    }

    func testPutWithoutETagIsAnInvalidResponse() {
        let transport = ScriptedTransport([.response(HTTPResponse(status: 200))])
        XCTAssertThrowsError(try client(transport).putObject(bucket: "b", key: "k", body: [1])) { error in
            XCTAssertEqual((error as! S3Error).kind, .invalidResponse(status: 200, reason: "no ETag header"))
        }
    }

    func testConflictOnPutIsReportedNotRetried() {
        let transport = ScriptedTransport([.response(HTTPResponse(status: 409, body: Array(s3ErrorXML("ConditionalRequestConflict").utf8))),
                                       .response(HTTPResponse(status: 200))])
        XCTAssertThrowsError(try client(transport).putObject(bucket: "b", key: "k", body: [1], condition: .ifMatch("\"e\""))) { error in
            XCTAssertTrue((error as! S3Error).isConflict)
        }
        XCTAssertEqual(transport.requests.count, 1)
    }

    func testListQueryParameters() throws {
        let xml = "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>"
        let transport = ScriptedTransport(statuses: [200], body: xml)
        let page = try client(transport).listObjectsV2(bucket: "b", prefix: "a b/", continuationToken: "t+1", maxKeys: 5)
        XCTAssertEqual(transport.requests[0].url, "http://127.0.0.1:9/b?continuation-token=t%2B1&list-type=2&max-keys=5&prefix=a%20b%2F")
        XCTAssertEqual(page.entries, [])
        XCTAssertFalse(page.isTruncated)
    }

    func testTruncatedListingWithoutTokenIsInvalid() {
        let transport = ScriptedTransport(statuses: [200], body: "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>")
        XCTAssertThrowsError(try client(transport).listAllObjects(bucket: "b")) { error in
            guard case .invalidResponse = (error as! S3Error).kind else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(transport.requests.count, 1, "no endless paging")
    }

    func testNonXMLListingIsInvalid() {
        let transport = ScriptedTransport(statuses: [200], body: "<html>proxy</html>")
        XCTAssertThrowsError(try client(transport).listObjectsV2(bucket: "b")) { error in
            XCTAssertEqual((error as! S3Error).kind, .invalidResponse(status: 200, reason: "no <ListBucketResult> element"))
        }
    }

    func testCreateBucketOutsideUSEast1SendsTheLocationConstraint() throws {
        let transport = ScriptedTransport(statuses: [200, 200])
        XCTAssertEqual(try client(transport, region: "eu-west-1").createBucket("b"), .created)
        XCTAssertEqual(String(decoding: transport.requests[0].body, as: UTF8.self),
                       "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>")
        _ = try client(transport).createBucket("b")
        XCTAssertEqual(transport.requests[1].body, [], "us-east-1 takes no body")
    }

    func testCreateBucketAlreadyOwnedIsNotAnError() throws {
        let transport = ScriptedTransport([.response(HTTPResponse(status: 409, body: Array(s3ErrorXML("BucketAlreadyOwnedByYou").utf8)))])
        XCTAssertEqual(try client(transport).createBucket("b"), .alreadyOwnedByYou)
    }

    func testHeadOtherErrorsAreThrown() {
        let transport = ScriptedTransport(statuses: [403])
        XCTAssertThrowsError(try client(transport).headObject(bucket: "b", key: "k")) { error in
            XCTAssertEqual((error as! S3Error).code, "Forbidden")
        }
    }

    func testPresignedURLs() {
        let transport = ScriptedTransport([])
        let local = client(transport).presignedURL(method: "PUT", bucket: "b", key: "up loads/a.png", expiresInSeconds: 300,
                                                   headers: [HTTPHeader(name: "Content-Type", value: "image/png")])
        XCTAssertTrue(local.hasPrefix("http://127.0.0.1:9/b/up%20loads/a.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20150830%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=300&X-Amz-SignedHeaders=content-type%3Bhost&X-Amz-Signature="), local)
        let withToken = client(transport, endpoint: nil, token: "tok/en").presignedURL(method: "GET", bucket: "my-bucket", key: "k", expiresInSeconds: 60)
        XCTAssertTrue(withToken.hasPrefix("https://my-bucket.s3.us-east-1.amazonaws.com/k?"), withToken)
        XCTAssertTrue(withToken.contains("&X-Amz-Security-Token=tok%2Fen&X-Amz-SignedHeaders=host&X-Amz-Signature="), withToken)
        XCTAssertEqual(transport.requests.count, 0, "presigning sends nothing")
    }
}
