import HTTPClient
import S3
import SigV4
import Storage
import TestSupport
import JSON
import XCTest
@testable import API

/// What the API reads and writes through the real S3 store: only the catalog and the caller's
/// own record are keys, and a record the role may not list is simply missing.
final class ImageAPIObjectsTests: XCTestCase {
    /// The API on a store as `APIHandler` makes it (`forbiddenIsMissing`: its role lists nothing).
    func api(_ answers: [HTTPResponse], forbiddenIsMissing: Bool = true) -> (ImageAPI, ScriptedTransport) {
        let transport = ScriptedTransport(responses: answers)
        let configuration = S3Configuration(region: "us-east-1", credentials: AWSCredentials(accessKeyId: "AKID", secretAccessKey: "secret"),
                                            endpoint: "http://127.0.0.1:9")
        let client = S3Client(configuration: configuration, transport: transport, retryPolicy: S3RetryPolicy(maxAttempts: 1))
        return (ImageAPI(store: S3ObjectStore(client: client, forbiddenIsMissing: forbiddenIsMissing), bucket: "pics",
                         catalogKey: "images.json"), transport)
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

    /// Without s3:ListBucket (the API's role has none) S3 answers a missing key 403 AccessDenied:
    /// a record, and the catalog of a new stack before its first upload. `GET /images` is then
    /// the empty list, as with a 404; it was a 500. A role that may list (the catalog
    /// function's) still takes a 403 for an error.
    func testAMissingKeyMayBeA403WithoutListBucket() throws {
        let user = try XCTUnwrap(Subject("auth0|abc"))
        let denied = Self.error(403, "AccessDenied")
        let (api, _) = api([Self.error(404, "NoSuchKey"), denied, denied, denied])
        XCTAssertEqual(try api.read(.user(user), ifNoneMatch: nil), .missing)
        XCTAssertEqual(try api.read(.legacyUser(user), ifNoneMatch: nil), .missing)
        XCTAssertEqual(try api.read(.catalog, ifNoneMatch: nil), .missing)
        let event = try JSONValue(parsing: Array(#"{"version":"2.0","rawPath":"/images","rawQueryString":"","requestContext":{"http":{"method":"GET","path":"/images"},"authorizer":{"jwt":{"claims":{"sub":"auth0|x"}}}}}"#.utf8))
        let response = api.respond(to: try GatewayRequest(event: event))
        XCTAssertEqual(response.statusCode, 200)
        XCTAssertEqual(response.bodyText, #"{"images":[],"nextCursor":null}"#)

        let (listing, _) = self.api([denied], forbiddenIsMissing: false)
        XCTAssertThrowsError(try listing.read(.catalog, ifNoneMatch: nil))
    }

    func testRecordWritesGoToTheCallersKeyOnly() throws {
        let user = try XCTUnwrap(Subject("auth0|abc"))
        let (api, transport) = api([HTTPResponse(status: 200, headers: [HTTPHeader(name: "ETag", value: "\"new1\"")])])
        XCTAssertEqual(try api.writeRecord(of: user, bytes: Array("{}".utf8), ifMatch: nil), .written(etag: "new1"))
        XCTAssertEqual(transport.requests.map(\.url), [
            "http://127.0.0.1:9/pics/users/sha256/c5d09a77163332e87cd67f4fdec08160705a9a73940b9a4591b4b6f1cb53a61d.json"])
        XCTAssertEqual(transport.requests[0].header("if-none-match"), "*")
    }

    /// Any subject an issuer gives has a record (its key is a digest); only those an older
    /// imagecat could key by name have a legacy key to move.
    func testSubjectsAllowedAndRefused() throws {
        for legacy in ["auth0|5f7c8ec7c33c6c004bbafe82", "google-oauth2|110248495921238986420", "samlp|corp|jane@example.com",
                       "a", "a.b_c-d", String(repeating: "x", count: 128)] {
            XCTAssertEqual(Subject(legacy)?.hasLegacyKey, true, legacy)
        }
        for hashedOnly in [".", "..", "a/b", "../x", "a b", "a%2e", "samlp|corp|jane+photos@example.com", "CN=Jane Doe,O=Corp",
                           "é", String(repeating: "x", count: 129), String(repeating: "x", count: 255)] {
            XCTAssertEqual(Subject(hashedOnly)?.hasLegacyKey, false, hashedOnly)
        }
        for bad in ["", "a\u{0}", "a\n", "a\u{7F}", "a\u{85}b", "a\u{202E}b", "a\u{2028}b", String(repeating: "x", count: 256)] {
            XCTAssertNil(Subject(bad), bad)
        }
    }
}
