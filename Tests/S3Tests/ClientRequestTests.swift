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

    /// A size below zero in an answer (a faulty S3-compatible server) is no size: it reached a
    /// catalog entry, whose size may not be negative, and trapped the process.
    func testANegativeSizeInAnAnswerIsNotTaken() {
        let info = S3ObjectInfo(response: HTTPResponse(status: 206, headers: [
            HTTPHeader(name: "Content-Length", value: "-1"), HTTPHeader(name: "Content-Range", value: "bytes 0-2/-5"),
        ], body: [1, 2, 3]))
        XCTAssertEqual(info.contentLength, 3, "the body's own length")
        XCTAssertEqual(info.totalSize, 3)
        XCTAssertNil(S3ObjectInfo.totalSize(fromContentRange: "bytes 0-2/-5"))
        XCTAssertEqual(S3ObjectInfo.totalSize(fromContentRange: "bytes 0-2/1234"), 1234)
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

    func testANegativeSizeInAListingIsInvalid() {
        let transport = ScriptedTransport(statuses: [200], body: "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>")
        XCTAssertThrowsError(try client(transport).listObjectsV2(bucket: "b")) { error in
            XCTAssertEqual((error as! S3Error).kind, .invalidResponse(status: 200, reason: "no valid <Size> for key k"))
        }
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

    /// Over HTTPS an object's bytes go as `UNSIGNED-PAYLOAD` (signed as such); every other body,
    /// and every body over plain HTTP, signs its SHA-256.
    func testObjectBytesOverHTTPSAreSentUnsignedAndEverythingElseSignsItsHash() throws {
        let sha256OfHello = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        let hello = Array("hello".utf8)
        let part = S3Client.Part(number: 1, source: .bytes(hello))
        let copy = S3Client.Part(number: 2, source: .copy(key: "k", range: S3ByteRange(first: 0, last: 9), ifMatch: "\"e\""))
        let etagXML = "<CopyPartResult><ETag>&quot;e&quot;</ETag></CopyPartResult>"
        let ok = HTTPResponse(status: 200, headers: [HTTPHeader(name: "ETag", value: "\"e\"")], body: Array(etagXML.utf8))

        for endpoint in ["https://s3.example.test", nil] as [String?] {
            let transport = ScriptedTransport(responses: [ok, ok, ok])
            let s3 = client(transport, endpoint: endpoint)
            _ = try s3.putObject(bucket: "my-bucket", key: "k", body: hello)
            _ = s3.uploadParts(bucket: "my-bucket", key: "k", uploadID: "u", parts: [part, copy])
            let sent = transport.requests.map { try? XCTUnwrap(header($0, "x-amz-content-sha256")) }
            XCTAssertEqual(sent.count, 3)
            let byURL = Dictionary(uniqueKeysWithValues: zip(transport.requests.map(\.url), sent))
            for (url, hash) in byURL {
                XCTAssertTrue(url.hasPrefix("https://"), url)
                XCTAssertEqual(hash, url.contains("partNumber=2") ? emptySHA256 : "UNSIGNED-PAYLOAD", url)
            }
            for request in transport.requests {
                XCTAssertTrue(try XCTUnwrap(header(request, "Authorization")).contains("x-amz-content-sha256"), "the hash is signed")
            }
        }

        let transport = ScriptedTransport(responses: [ok, ok])
        let plain = client(transport)
        _ = try plain.putObject(bucket: "b", key: "k", body: hello)
        _ = plain.uploadParts(bucket: "b", key: "k", uploadID: "u", parts: [part])
        XCTAssertEqual(transport.requests.map { header($0, "x-amz-content-sha256") }, [sha256OfHello, sha256OfHello],
                       "nothing but the signature guards a body over plain HTTP")
    }

    /// The unsigned payload is what gets signed: the signature is the one the signer gives a
    /// request with `UNSIGNED-PAYLOAD`, not one over the body's hash.
    func testUnsignedPayloadIsWhatTheSignatureCovers() throws {
        let transport = ScriptedTransport(statuses: [200])
        _ = try client(transport, endpoint: "https://s3.example.test").putObject(bucket: "b", key: "k", body: Array("hello".utf8))
        let request = transport.requests[0]
        let signer = SigV4Signer(credentials: AWSCredentials(accessKeyId: "AK", secretAccessKey: "SK"), region: "us-east-1",
                                 clock: FakeTime().hooks().signingClock)
        let expected = signer.signHeaders(SigV4Request(method: "PUT", encodedPath: "/b/k", query: [],
                                                       headers: [("Host", "s3.example.test"), ("Content-Type", "application/octet-stream")],
                                                       payloadHash: SigV4Signer.unsignedPayload))
        XCTAssertEqual(header(request, "Authorization"), expected.headers.first { $0.name == "Authorization" }?.value)
    }
}
