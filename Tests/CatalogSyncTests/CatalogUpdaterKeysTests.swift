import Storage
import Basics
import Catalog
import S3
import XCTest
import TestSupport
@testable import Catalog
@testable import CatalogSync

/// Per-key isolation, byte-exact keys, the listing re-check, requests per record and the warm
/// cache's size.
final class CatalogUpdaterKeysTests: XCTestCase {
    var store = MemoryStore()

    func updater() -> CatalogUpdater { store.updater() }

    func catalog() throws -> Catalog { try store.catalog() }

    static func s3Error(_ status: Int, _ code: String, key: String) -> S3Error {
        S3Error(operation: "GetObject", bucket: "b", key: key, kind: .service(status: status, code: code, message: "", requestId: nil))
    }

    // MARK: Per-key isolation

    func testAKeyS3RefusesIsSkippedAndTheRestApplied() throws {
        for key in ["a.png", "archived.png", "secret.png", "b.png"] { store.put("b", key, bytes: MemoryStore.png(width: 2, height: 2)) }
        store.rangeErrors[ExactKey("archived.png")] = KeyReadError(Self.s3Error(403, "InvalidObjectState", key: "archived.png"))
        store.rangeErrors[ExactKey("secret.png")] = KeyReadError(Self.s3Error(400, "KMS.DisabledException", key: "secret.png"))
        let result = try updater().sync(bucket: "b", keys: ["a.png", "archived.png", "secret.png", "b.png"])
        XCTAssertEqual(Set(try catalog().names), ["a.png", "b.png"])
        XCTAssertEqual(result.skipped.map(\.key), ["archived.png", "secret.png"])
        XCTAssertEqual(result.skipped[0].reason, "S3 refuses it: GetObject s3://b/archived.png: 403 InvalidObjectState")
        // Refused keys are not re-checked either: nothing S3 refuses can fail the bucket.
        XCTAssertFalse(store.requests.contains("HEAD b/archived.png"))
    }

    func testARefusedKeyKeepsItsEntry() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 2, height: 2))
        _ = try updater().sync(bucket: "b", keys: ["a.png"])
        store.rangeErrors[ExactKey("a.png")] = KeyReadError(Self.s3Error(403, "AccessDenied", key: "a.png"))
        let result = try updater().sync(bucket: "b", keys: ["a.png"])
        XCTAssertEqual(try catalog().names, ["a.png"])
        XCTAssertFalse(result.wrote)
    }

    /// A retryable failure of one key's read fails that key (its records come back), not the
    /// bucket's other keys; when every key fails, the bucket fails.
    func testARetryableFailureFailsItsKeyAndEveryKeyTheBucket() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 2, height: 2))
        store.rangeErrors[ExactKey("slow.png")] = KeyReadError(Self.s3Error(503, "SlowDown", key: "slow.png"))
        let result = try updater().sync(bucket: "b", keys: ["a.png", "slow.png"])
        XCTAssertEqual(result.failedKeys.map(\.key), ["slow.png"])
        XCTAssertEqual(result.skipped.map(\.key), [])
        XCTAssertEqual(try catalog().names, ["a.png"])
        store.requests = []
        XCTAssertThrowsError(try updater().sync(bucket: "b", keys: ["slow.png"])) { error in
            guard case CatalogUpdateError.storage = error else { return XCTFail("\(error)") }
        }
        XCTAssertFalse(store.requests.contains { $0.hasPrefix("PUT") })
    }

    func testClassification() {
        func refused(_ status: Int, _ code: String) -> Bool {
            if case .refused = KeyReadError(Self.s3Error(status, code, key: "k")) { true } else { false }
        }
        XCTAssertTrue(refused(403, "AccessDenied"))
        XCTAssertTrue(refused(403, "InvalidObjectState"))
        XCTAssertTrue(refused(400, "InvalidArgument"))
        XCTAssertFalse(refused(404, "NoSuchBucket"))
        XCTAssertFalse(refused(503, "SlowDown"))
        XCTAssertFalse(refused(500, "InternalError"))
        XCTAssertFalse(refused(429, "TooManyRequests"))
        XCTAssertFalse(refused(400, "RequestTimeout"))
        if case .refused = KeyReadError(S3Error(operation: "GetObject", bucket: "b", key: "k", kind: .deadlineExceeded)) {
            XCTFail("the deadline is not the key's fault")
        }
    }

    /// A re-check S3 refuses (a 400 for a key the server will not HEAD) does not fail the bucket.
    func testARefusedRecheckDoesNotFailTheBucket() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 2, height: 2))
        store.headErrors[ExactKey("a.png")] = .refused(reason: "S3 refuses it: HeadObject s3://b/a.png: 400 BadRequest")
        let result = try updater().sync(bucket: "b", keys: ["a.png"])
        XCTAssertTrue(result.wrote)
        XCTAssertEqual(try catalog().names, ["a.png"])
    }

    // MARK: Byte-exact keys

    static let composed = "caf\u{E9}.png"
    static let decomposed = "cafe\u{301}.png"

    func testKeysThatDifferOnlyInNormalizationAreTwoObjects() throws {
        XCTAssertEqual(Self.composed, Self.decomposed)            // Swift says one string...
        XCTAssertNotEqual(ExactKey(Self.composed), ExactKey(Self.decomposed))   // ...S3 holds two objects
        store.put("b", Self.composed, bytes: MemoryStore.png(width: 1, height: 1))
        store.put("b", Self.decomposed, bytes: MemoryStore.png(width: 2, height: 2))
        let result = try updater().sync(bucket: "b", keys: [Self.composed, Self.decomposed])
        XCTAssertEqual(result.summary?.added, 2)
        XCTAssertEqual(try catalog().names.map { Array($0.utf8) }, [Array(Self.decomposed.utf8), Array(Self.composed.utf8)])
        // Deleting one leaves the other.
        store.delete("b", Self.decomposed)
        _ = try updater().sync(bucket: "b", keys: [Self.decomposed])
        XCTAssertEqual(try catalog().names.map { Array($0.utf8) }, [Array(Self.composed.utf8)])
    }

    // MARK: The re-check

    func testOneListingPageConfirmsABatchThatSharesAPrefix() throws {
        let keys = (0..<10).map { "images/\($0).png" }
        for key in keys { store.put("b", key, bytes: MemoryStore.png(width: 1, height: 1)) }
        store.put("b", "other/x.png", bytes: MemoryStore.png(width: 1, height: 1))
        _ = try updater().sync(bucket: "b", keys: keys)
        XCTAssertEqual(store.requests.filter { !$0.hasPrefix("RANGE") },
                       ["PUT b/images.json if-none-match * -> 200",
                        "LIST b images/ after images/0.pn -> 200"])
    }

    func testAListingThatDoesNotReachTheLargestKeyFallsBackToHEADs() throws {
        let keys = ["images/a.png", "images/b.png", "images/c.png", "images/z.png"]
        for key in keys { store.put("b", key, bytes: MemoryStore.png(width: 1, height: 1)) }
        for i in 0..<1_000 { store.put("b", "images/m\(i)", "filler") }
        let updater = updater()
        _ = try updater.sync(bucket: "b", keys: keys)
        XCTAssertEqual(store.requests("HEAD"), ["HEAD b/images/z.png -> 200"])
        // Listing is paused in this bucket for a while: the next batch goes straight to HEADs.
        store.requests = []
        for key in keys { store.put("b", key, bytes: MemoryStore.png(width: 3, height: 3)) }
        _ = try updater.sync(bucket: "b", keys: keys)
        XCTAssertFalse(store.requests.contains { $0.hasPrefix("LIST") })
        XCTAssertEqual(store.requests.filter { $0.hasPrefix("HEAD") }.count, 4)
    }

    /// A page costs time for every key it returns (0.2 s for 1,000 on the local server): it asks
    /// for a few keys per key it confirms, not for S3's 1,000, and confirms a dense batch whatever
    /// lies beyond it.
    func testTheListingPageAsksForAFewKeysPerKey() throws {
        let keys = (0..<5).map { "images/\($0).png" }
        for key in keys { store.put("b", key, bytes: MemoryStore.png(width: 1, height: 1)) }
        for i in 0..<1_000 { store.put("b", "images/9-filler-\(i)", "filler") }
        _ = try updater().sync(bucket: "b", keys: keys)
        XCTAssertEqual(store.listPageSizes, [20])
        XCTAssertEqual(store.requests("HEAD"), [])
    }

    func testAFailedListingFallsBackToHEADsInsteadOfFailingTheBucket() throws {
        let keys = (0..<5).map { "images/\($0).png" }
        for key in keys { store.put("b", key, bytes: MemoryStore.png(width: 1, height: 1)) }
        store.listError = KeyReadError.refused(reason: "403 SignatureDoesNotMatch")
        let result = try updater().sync(bucket: "b", keys: keys)
        XCTAssertEqual(result.summary?.added, 5)
        XCTAssertEqual(store.requests.filter { $0.hasPrefix("LIST") }.count, 1)
        XCTAssertEqual(store.requests.filter { $0.hasPrefix("HEAD") }.count, 5)
    }

    /// A listing never decides a mismatch alone: a key it does not show is HEADed, not
    /// observed again (a server may list a key under another name, as `a//b` under `a/b`).
    func testAKeyMissingFromTheListingIsHEADedNotObservedAgain() throws {
        let keys = (0..<5).map { "images/\($0).png" }
        for key in keys { store.put("b", key, bytes: MemoryStore.png(width: 1, height: 1)) }
        store.unlisted = [ExactKey("images/3.png")]
        let result = try updater().sync(bucket: "b", keys: keys)
        XCTAssertEqual(result.attempts, 1)
        XCTAssertEqual(store.requests("HEAD"), ["HEAD b/images/3.png -> 200"])
        XCTAssertEqual(store.requests("RANGE b/images/").count, 5)
    }

    // MARK: Requests per record

    /// What a batch costs, uncontended, all keys new under one prefix: the numbers the README
    /// quotes.
    func testRequestsPerRecord() throws {
        var figures: [String] = []
        for size in [1, 10, 100] {
            store = MemoryStore()
            let keys = (0..<size).map { "images/\($0).png" }
            for key in keys { store.put("b", key, bytes: MemoryStore.png(width: 1, height: 1)) }
            _ = try updater().sync(bucket: "b", keys: keys)
            let perRecord = Double(store.requests.count) / Double(size)
            figures.append("\(size): \(store.requests.count) requests (\(perRecord) per record), \(store.roundTrips) round trips")
            // 1 observation each; the catalog's GET and PUT; a HEAD each below 4 keys, else 1 LIST.
            XCTAssertEqual(store.requests.count, size + 2 + (size < 4 ? size : 1))
            XCTAssertEqual(store.roundTrips, 4)
        }
        print("requests per batch: " + figures.joined(separator: "; "))
    }

    // MARK: The warm cache

    /// 3,000 warm updates of one key once left a 98-byte catalog holding a 279 KB buffer. The
    /// cache now keeps a version's bytes as read or written, nothing else.
    func testTheWarmCacheHoldsOnlyTheCurrentVersion() throws {
        store = MemoryStore()
        let updater = updater()
        for i in 0..<3_000 {
            store.put("b", "a.png", bytes: MemoryStore.png(width: i % 7 + 1, height: 1))
            _ = try updater.sync(bucket: "b", keys: ["a.png"])
        }
        let cached = try XCTUnwrap(updater.cache.version(for: "b")?.whole)
        XCTAssertEqual(cached.count, 1)
        XCTAssertEqual(cached.bytes, store.object("b", "images.json")?.bytes)
        XCTAssertLessThan(cached.bytes.capacity, 1024)
    }
}
