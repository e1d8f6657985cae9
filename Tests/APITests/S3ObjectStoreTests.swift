import HTTPClient
import S3
import TestSupport
import XCTest
@testable import SigV4
@testable import API

/// `S3ObjectStore` on a scripted transport: which keys it asks S3 for, with which conditions, and
/// how S3's answers map to found / not modified / missing / error.
final class S3ObjectStoreTests: XCTestCase {
    func store(_ answers: [HTTPResponse]) -> (S3ObjectStore, ScriptedTransport) {
        let transport = ScriptedTransport(responses: answers)
        let configuration = S3Configuration(region: "us-east-1", credentials: AWSCredentials(accessKeyId: "AKID", secretAccessKey: "secret"),
                                            endpoint: "http://127.0.0.1:9")
        let client = S3Client(configuration: configuration, transport: transport, retryPolicy: S3RetryPolicy(maxAttempts: 1))
        return (S3ObjectStore(client: client, bucket: "pics", catalogKey: "images.json"), transport)
    }

    static func error(_ status: Int, _ code: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [HTTPHeader(name: "Content-Type", value: "application/xml")],
                     body: Array("<Error><Code>\(code)</Code><Message>m</Message></Error>".utf8))
    }


    func testOnlyTheCatalogKeyAndUsersRecordsAreKeys() throws {
        let (store, _) = store([])
        XCTAssertEqual(store.key(for: .catalog), "images.json")
        XCTAssertEqual(store.key(for: .user(try XCTUnwrap(Subject("google-oauth2|1234")))), "users/google-oauth2|1234.json")
    }

    func testReadsWithQuotedIfNoneMatchAndUnquotesETags() throws {
        let (store, transport) = store([
            HTTPResponse(status: 200, headers: [HTTPHeader(name: "ETag", value: "\"abc123\"")], body: Array("[]".utf8)),
            HTTPResponse(status: 304, headers: [HTTPHeader(name: "ETag", value: "\"abc123\"")]),
        ])
        XCTAssertEqual(try store.read(.catalog, ifNoneMatch: nil), .found(bytes: Array("[]".utf8), etag: "abc123"))
        XCTAssertEqual(try store.read(.catalog, ifNoneMatch: "abc123"), .notModified(etag: "abc123"))
        XCTAssertEqual(transport.requests.map(\.url), ["http://127.0.0.1:9/pics/images.json", "http://127.0.0.1:9/pics/images.json"])
        XCTAssertNil(transport.requests[0].header("if-none-match"))
        XCTAssertEqual(transport.requests[1].header("if-none-match"), "\"abc123\"")
    }

    func testUserRecordKeyIsEncoded() throws {
        let (store, transport) = store([HTTPResponse(status: 200, headers: [HTTPHeader(name: "ETag", value: "\"e\"")], body: Array("{}".utf8))])
        _ = try store.read(.user(try XCTUnwrap(Subject("auth0|abc"))), ifNoneMatch: nil)
        XCTAssertEqual(transport.requests.map(\.url), ["http://127.0.0.1:9/pics/users/auth0%7Cabc.json"])
    }

    func testMissingObjects() throws {
        let user = try XCTUnwrap(Subject("auth0|abc"))
        let (store, _) = store([Self.error(404, "NoSuchKey"), Self.error(404, "NoSuchKey"), Self.error(403, "AccessDenied")])
        XCTAssertEqual(try store.read(.catalog, ifNoneMatch: nil), .missing)
        XCTAssertEqual(try store.read(.user(user), ifNoneMatch: nil), .missing)
        // No s3:ListBucket: a missing record is a 403 from S3.
        XCTAssertEqual(try store.read(.user(user), ifNoneMatch: nil), .missing)
    }

    func testRealFailuresAreErrors() throws {
        let (store, _) = store([Self.error(403, "AccessDenied"), Self.error(404, "NoSuchBucket"), Self.error(500, "InternalError")])
        for _ in 0..<3 {
            XCTAssertThrowsError(try store.read(.catalog, ifNoneMatch: nil))
        }
    }

    func testRecordWritesAreConditionalPutsOfTheCallersKeyOnly() throws {
        let user = try XCTUnwrap(Subject("auth0|abc"))
        let (store, transport) = store([
            HTTPResponse(status: 200, headers: [HTTPHeader(name: "ETag", value: "\"new1\"")]),
            HTTPResponse(status: 200, headers: [HTTPHeader(name: "ETag", value: "\"new2\"")]),
            Self.error(412, "PreconditionFailed"), Self.error(409, "ConditionalRequestConflict"), Self.error(500, "InternalError"),
        ])
        XCTAssertEqual(try store.writeRecord(of: user, bytes: Array("{}".utf8), ifMatch: nil), .written(etag: "new1"))
        XCTAssertEqual(try store.writeRecord(of: user, bytes: Array("{}".utf8), ifMatch: "new1"), .written(etag: "new2"))
        XCTAssertEqual(try store.writeRecord(of: user, bytes: Array("{}".utf8), ifMatch: "new1"), .conflict)
        XCTAssertEqual(try store.writeRecord(of: user, bytes: Array("{}".utf8), ifMatch: "new2"), .conflict)
        XCTAssertThrowsError(try store.writeRecord(of: user, bytes: Array("{}".utf8), ifMatch: "new2"))
        XCTAssertEqual(Set(transport.requests.map(\.url)), ["http://127.0.0.1:9/pics/users/auth0%7Cabc.json"])
        XCTAssertEqual(transport.requests.map(\.method), Array(repeating: "PUT", count: 5))
        XCTAssertEqual(transport.requests[0].header("if-none-match"), "*")
        XCTAssertNil(transport.requests[0].header("if-match"))
        XCTAssertEqual(transport.requests[1].header("if-match"), "\"new1\"")
        XCTAssertNil(transport.requests[1].header("if-none-match"))
        XCTAssertEqual(transport.requests[1].header("content-type"), "application/json")
        XCTAssertEqual(transport.requests[1].bodyText, "{}")
    }

    func testSubjectsAllowedAndRefused() {
        for ok in ["auth0|5f7c8ec7c33c6c004bbafe82", "google-oauth2|110248495921238986420", "samlp|corp|jane@example.com",
                   "a", "a.b_c-d", String(repeating: "x", count: 128)] {
            XCTAssertNotNil(Subject(ok), ok)
        }
        for bad in ["", ".", "..", "...", "a/b", "../x", "a b", "a%2e", "a+b", "é", "a\u{0}", "a\n", String(repeating: "x", count: 129)] {
            XCTAssertNil(Subject(bad), bad)
        }
    }
}
