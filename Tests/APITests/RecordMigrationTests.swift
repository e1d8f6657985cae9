import Basics
import Foundation
import JSON
import Storage
import Telemetry
import TestSupport
import XCTest
@testable import API

/// Users' records moving from `users/<sub>.json` (a key that showed the sub, often an email
/// address, in every listing) to `users/sha256/<digest>.json`, on the in-memory store: moved
/// when first read, conditionally, the old key deleted, nothing lost when two requests race.
final class RecordMigrationTests: XCTestCase {
    static let sub = "samlp|corp|jane@example.com"
    static let legacyText = #"{"sub":"samlp|corp|jane@example.com","createdAt":"2025-01-01T00:00:00Z","favourites":["images/a.png"]}"#

    let store = MemoryStore()
    let logged = LogLines()

    var subject: Subject { Subject(Self.sub)! }
    var digest: String { MemoryStore.digest(Self.sub) }

    func api() -> ImageAPI {
        ImageAPI(store: store, bucket: MemoryStore.apiBucket, log: logged.log,
                 nowMs: { 1_800_000_000_000 })
    }

    func getMe(ifNoneMatch: String? = nil) throws -> GatewayResponse {
        try api().record(of: subject, condition: IfNoneMatch(ifNoneMatch))
    }

    func testALegacyRecordIsMovedWhenFirstReadAndTheOldKeyDeleted() throws {
        store.setLegacyUser(Self.sub, Self.legacyText)
        let response = try getMe()
        XCTAssertEqual(response.statusCode, 200)
        XCTAssertEqual(String(decoding: response.body, as: UTF8.self), Self.legacyText)
        XCTAssertEqual(store.reads, ["user \(digest) -> 404", "legacy user \(Self.sub) -> 200"])
        XCTAssertEqual(store.writes, ["put user \(digest) if-none-match * -> 200"])
        XCTAssertEqual(store.deletes, ["delete legacy user \(Self.sub) -> 204"])
        XCTAssertEqual(store.user(Self.sub).map { String(decoding: $0.bytes, as: UTF8.self) }, Self.legacyText, "byte for byte")
        XCTAssertNil(store.legacyUser(Self.sub))
        XCTAssertEqual(logged.lines, ["moved a user's record from its legacy key to users/sha256/\(digest).json"])
        XCTAssertEqual(logged.records.first?.level, .info)
        XCTAssertEqual(logged.records.first?.fields["key"], .string("users/sha256/\(digest).json"))
        XCTAssertFalse(logged.lines.joined().contains("jane"), "the log names the new key, not the sub")

        // From then on one read of the new key, and the ETag the client holds still works.
        store.requests.removeAll()
        let etag = try XCTUnwrap(response.headers["etag"])
        XCTAssertEqual(try getMe(ifNoneMatch: etag).statusCode, 304)
        XCTAssertEqual(store.reads, ["user \(digest) if-none-match \(store.user(Self.sub)!.etag) -> 304"])
        XCTAssertEqual(store.writes + store.deletes, [])
    }

    /// A subject no older imagecat could key by name (plus-addressing, a SAML distinguished
    /// name) has a record under its digest, and no legacy key is read, written or deleted.
    func testASubjectWithoutALegacyKeyHasARecordAndNoLegacyLookup() throws {
        let sub = "samlp|corp|jane+photos@example.com"
        let subject = try XCTUnwrap(Subject(sub))
        XCTAssertEqual(try api().record(of: subject, condition: IfNoneMatch(nil)).statusCode, 404)
        XCTAssertEqual(store.reads, ["user \(MemoryStore.digest(sub)) -> 404"])
        XCTAssertEqual(store.writes + store.deletes, [])
    }

    func testNoRecordAnywhereIsA404AndChangesNothing() throws {
        XCTAssertEqual(try getMe().statusCode, 404)
        XCTAssertEqual(store.reads, ["user \(digest) -> 404", "legacy user \(Self.sub) -> 404"])
        XCTAssertEqual(store.writes + store.deletes, [])
    }

    func testTheHashedRecordWinsOverALeftoverLegacyOne() throws {
        store.setUser(Self.sub, #"{"sub":"samlp|corp|jane@example.com","name":"new"}"#)
        store.setLegacyUser(Self.sub, Self.legacyText)
        let response = try getMe()
        XCTAssertEqual(String(decoding: response.body, as: UTF8.self), #"{"sub":"samlp|corp|jane@example.com","name":"new"}"#)
        XCTAssertEqual(store.reads, ["user \(digest) -> 200"], "the legacy key is not even read")
        XCTAssertEqual(store.writes + store.deletes, [])
    }

    func testSignInMovesTheLegacyRecordAndKeepsItsMembers() throws {
        store.setLegacyUser(Self.sub, Self.legacyText)
        let request = try GatewayRequest(event: JSONValue(parsing: Array(#"""
            {"version":"2.0","rawPath":"/me","rawQueryString":"","headers":{},
             "requestContext":{"http":{"method":"PUT","path":"/me"},"requestId":"r-1",
                               "authorizer":{"jwt":{"claims":{"sub":"samlp|corp|jane@example.com"}}}}}
            """#.utf8)))
        let response = api().respond(to: request, requestID: "r-1")
        XCTAssertEqual(response.statusCode, 200, "a refresh of the moved record, not a new one")
        let record = try XCTUnwrap(JSONValue(parsing: response.body).objectValue)
        XCTAssertEqual(record["createdAt"], .string("2025-01-01T00:00:00Z"))
        XCTAssertEqual(record["favourites"], .array([.string("images/a.png")]))
        XCTAssertEqual(record["lastSignInAt"], .string(UTCTime.iso8601(epochSeconds: 1_800_000_000)))
        XCTAssertEqual(store.writes, ["put user \(digest) if-none-match * -> 200",
                                      "put user \(digest) if-match \(MemoryStore.etag(Array(Self.legacyText.utf8))) -> 200"])
        XCTAssertEqual(store.deletes, ["delete legacy user \(Self.sub) -> 204"])
        XCTAssertNil(store.legacyUser(Self.sub))
        XCTAssertEqual(try XCTUnwrap(store.user(Self.sub)).bytes, response.body)
    }

    func testARacingMoveWinsAndTheLegacyKeyIsStillDeleted() throws {
        store.setLegacyUser(Self.sub, Self.legacyText)
        // Another request moves the record (and a sign-in refreshes it) between this request's
        // read of the legacy key and its conditional write.
        let theirs = #"{"sub":"samlp|corp|jane@example.com","createdAt":"2025-01-01T00:00:00Z","favourites":["images/a.png"],"lastSignInAt":"2027-01-01T00:00:00Z"}"#
        store.beforeWrite = { [store] in store.setUser(Self.sub, theirs) }
        let response = try getMe()
        XCTAssertEqual(response.statusCode, 200)
        XCTAssertEqual(String(decoding: response.body, as: UTF8.self), theirs, "the winner's version is the record")
        XCTAssertEqual(store.writes, ["put user \(digest) if-none-match * -> 412"])
        XCTAssertEqual(store.reads, ["user \(digest) -> 404", "legacy user \(Self.sub) -> 200", "user \(digest) -> 200"])
        XCTAssertEqual(store.deletes, ["delete legacy user \(Self.sub) -> 204"])
        XCTAssertEqual(store.user(Self.sub).map { String(decoding: $0.bytes, as: UTF8.self) }, theirs, "not overwritten")
    }

    /// A lost conditional write with no record under the new key after all (S3 answers 409 when
    /// a delete races a write): the legacy record is the only one, so it is served and kept.
    /// It was deleted, the user answered 404, and `PUT /me` then wrote a record without it.
    func testALostMoveWithNothingThereKeepsAndServesTheLegacyRecord() throws {
        store.setLegacyUser(Self.sub, Self.legacyText)
        store.forcedConflicts = 1
        let response = try getMe()
        XCTAssertEqual(response.statusCode, 200)
        XCTAssertEqual(String(decoding: response.body, as: UTF8.self), Self.legacyText)
        XCTAssertEqual(store.legacyUser(Self.sub).map { String(decoding: $0.bytes, as: UTF8.self) }, Self.legacyText, "kept")
        XCTAssertEqual(store.deletes, [])
        // The next request moves it.
        XCTAssertEqual(try getMe().statusCode, 200)
        XCTAssertNotNil(store.user(Self.sub))
        XCTAssertNil(store.legacyUser(Self.sub))
    }

    /// A record that cannot be read is an error (a 500, logged) that names its key, a digest:
    /// never the sub.
    func testAnUnreadableRecordsErrorNamesItsKeyNotTheSub() throws {
        store.setUser(Self.sub, "nope")
        XCTAssertThrowsError(try getMe()) { error in
            XCTAssertFalse("\(error)".contains("jane"), "\(error)")
            XCTAssertTrue("\(error)".contains("users/sha256/\(digest).json"), "\(error)")
        }
    }

    func testAFailedDeleteStillServesTheMovedRecordAndSaysSo() throws {
        store.setLegacyUser(Self.sub, Self.legacyText)
        store.onRequest = { [store] line in
            if line.hasPrefix("DELETE ") { store.failure = MemoryStoreError("403 AccessDenied") }
        }
        let response = try getMe()
        XCTAssertEqual(response.statusCode, 200)
        XCTAssertNotNil(store.user(Self.sub))
        XCTAssertNotNil(store.legacyUser(Self.sub), "left for an administrator")
        XCTAssertEqual(logged.lines.count, 1)
        XCTAssertEqual(logged.records.first?.level, .warn)
        XCTAssertTrue(logged.lines[0].hasPrefix("moved a user's record to users/sha256/\(digest).json but could not delete the legacy key"),
                      logged.lines[0])
    }
}
