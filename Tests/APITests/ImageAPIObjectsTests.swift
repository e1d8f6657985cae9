import HTTPClient
import S3
import SigV4
import Storage
import TestSupport
import XCTest
@testable import API

/// What the API reads and writes through the real S3 store: only the catalog and the caller's
/// own record are keys, and a record the role may not list is simply missing.
final class ImageAPIObjectsTests: XCTestCase {
    func api(_ answers: [HTTPResponse]) -> (ImageAPI, ScriptedTransport) {
        let transport = ScriptedTransport(responses: answers)
        let configuration = S3Configuration(region: "us-east-1", credentials: AWSCredentials(accessKeyId: "AKID", secretAccessKey: "secret"),
                                            endpoint: "http://127.0.0.1:9")
        let client = S3Client(configuration: configuration, transport: transport, retryPolicy: S3RetryPolicy(maxAttempts: 1))
        return (ImageAPI(store: S3ObjectStore(client: client), bucket: "pics", catalogKey: "images.json"), transport)
    }

    static func error(_ status: Int, _ code: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [HTTPHeader(name: "Content-Type", value: "application/xml")],
                     body: Array(s3ErrorXML(code).utf8))
    }

    func testOnlyTheCatalogKeyAndUsersRecordsAreKeys() throws {
        let (api, _) = api([])
        XCTAssertEqual(api.key(for: .catalog), "images.json")
        // A sub may be an email address: the key holds its SHA-256 (printf %s SUB | sha256sum).
        let subject = try XCTUnwrap(Subject("samlp|corp|jane@example.com"))
        XCTAssertEqual(api.key(for: .user(subject)),
                       "users/sha256/0a84aa1a70c5e6019a3f9578f4ae3c4922ef0fc9555b308055449b346a002014.json")
        XCTAssertFalse(api.key(for: .user(subject)).contains("jane"))
        XCTAssertEqual(api.key(for: .legacyUser(subject)), "users/samlp|corp|jane@example.com.json")
    }

    func testUserRecordKeysAreEncoded() throws {
        let ok = HTTPResponse(status: 200, headers: [HTTPHeader(name: "ETag", value: "\"e\"")], body: Array("{}".utf8))
        let (api, transport) = api([ok, ok])
        let subject = try XCTUnwrap(Subject("auth0|abc"))
        _ = try api.read(.user(subject), ifNoneMatch: nil)
        _ = try api.read(.legacyUser(subject), ifNoneMatch: nil)
        XCTAssertEqual(transport.requests.map(\.url), [
            "http://127.0.0.1:9/pics/users/sha256/c5d09a77163332e87cd67f4fdec08160705a9a73940b9a4591b4b6f1cb53a61d.json",
            "http://127.0.0.1:9/pics/users/auth0%7Cabc.json"])
    }

    func testAMissingRecordMayBeA403ButAMissingCatalogAccessIsAnError() throws {
        let user = try XCTUnwrap(Subject("auth0|abc"))
        let (api, _) = api([Self.error(404, "NoSuchKey"), Self.error(403, "AccessDenied"), Self.error(403, "AccessDenied")])
        XCTAssertEqual(try api.read(.user(user), ifNoneMatch: nil), .missing)
        // No s3:ListBucket: a missing record is a 403 from S3.
        XCTAssertEqual(try api.read(.legacyUser(user), ifNoneMatch: nil), .missing)
        XCTAssertThrowsError(try api.read(.catalog, ifNoneMatch: nil))
    }

    func testRecordWritesGoToTheCallersKeyOnly() throws {
        let user = try XCTUnwrap(Subject("auth0|abc"))
        let (api, transport) = api([HTTPResponse(status: 200, headers: [HTTPHeader(name: "ETag", value: "\"new1\"")])])
        XCTAssertEqual(try api.writeRecord(of: user, bytes: Array("{}".utf8), ifMatch: nil), .written(etag: "new1"))
        XCTAssertEqual(transport.requests.map(\.url), [
            "http://127.0.0.1:9/pics/users/sha256/c5d09a77163332e87cd67f4fdec08160705a9a73940b9a4591b4b6f1cb53a61d.json"])
        XCTAssertEqual(transport.requests[0].header("if-none-match"), "*")
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
