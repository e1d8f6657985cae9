import Storage
import Basics
import Catalog
import XCTest
import TestSupport
@testable import CatalogSync

final class CatalogUpdaterTests: XCTestCase {
    var store = MemoryStore()
    var sleeps: [Int] = []

    func updater() -> CatalogUpdater { store.updater { [unowned self] in sleeps.append($0) } }

    func names() throws -> [String] {
        guard let text = store.text("b", "images.json") else { return [] }
        return try Catalog(parsing: Array(text.utf8)).names
    }

    func testOneReadAndOneWritePerBatch() throws {
        store.put("b", "a.jpg", bytes: MemoryStore.png(width: 640, height: 480, padding: 100))
        store.put("b", "b.png", bytes: MemoryStore.png(width: 3, height: 2))
        let result = try updater().sync(bucket: "b", keys: ["a.jpg", "b.png"])
        // Observations first, in one concurrent batch; then the read-write window; then the re-check.
        XCTAssertEqual(store.requests, ["RANGE b/a.jpg 0-4095 -> 206", "RANGE b/b.png 0-4095 -> 206", "RANGE b/images.json 0-1048575 -> 404",
                                        "PUT b/images.json if-none-match * -> 200", "HEAD b/a.jpg -> 200", "HEAD b/b.png -> 200"])
        XCTAssertEqual(store.roundTrips, 4)
        XCTAssertEqual(result.summary?.added, 2)
        XCTAssertEqual(result.attempts, 1)
        let catalog = try Catalog(parsing: Array(store.text("b", "images.json")!.utf8))
        // The content decides the type: a.jpg holds a PNG.
        XCTAssertEqual(catalog["a.jpg"]?.type, "png")
        XCTAssertEqual(catalog["a.jpg"]?.size, 133)
        XCTAssertEqual(catalog["a.jpg"]?.extra["width"]?.int64Value, 640)
        XCTAssertEqual(catalog["a.jpg"]?.extra["height"]?.int64Value, 480)
        XCTAssertEqual(catalog["b.png"]?.extra["etag"]?.stringValue, MemoryStore.etag(MemoryStore.png(width: 3, height: 2)))
    }

    /// A small catalog's PutObject that landed but answered 412 (its answer lost, the retry
    /// finding it there) is written, and its key re-checked: the next round would find nothing to
    /// change and answer without the re-check that fences the observation.
    func testAPutThatLandedButAnswered412IsWrittenAndReChecked() throws {
        store.put("b", "a.jpg", bytes: MemoryStore.png(width: 3, height: 2))
        store.lostAnswers = 1
        let result = try updater().sync(bucket: "b", keys: ["a.jpg"])
        XCTAssertEqual(store.requests, ["RANGE b/a.jpg 0-4095 -> 206", "RANGE b/images.json 0-1048575 -> 404",
                                        "PUT b/images.json if-none-match * -> 200, lost, then 412 on the retry",
                                        "RANGE b/images.json 0-0 -> 206", "HEAD b/a.jpg -> 200"])
        XCTAssertEqual(result.attempts, 1)
        XCTAssertEqual(result.lostWrites, 0)
        XCTAssertEqual(result.writes, 1)
        XCTAssertEqual(try names(), ["a.jpg"])
    }

    /// A plain 412 (not a retry's) is another writer's: no read to look for this write's bytes.
    func testAPlain412IsALostWriteWithNoLookForItsBytes() throws {
        store.put("b", "a.jpg", bytes: MemoryStore.png(width: 3, height: 2))
        store.put("b", "images.json", "[]")
        store.beforeWrite = { [store] in store.put("b", "images.json", "[ ]") }
        let result = try updater().sync(bucket: "b", keys: ["a.jpg"])
        XCTAssertEqual(result.lostWrites, 1)
        XCTAssertEqual(store.requests.filter { $0.hasPrefix("RANGE b/images.json 0-0") }, [])
        XCTAssertEqual(try names(), ["a.jpg"])
    }

    func testRedeliveryWritesNothing() throws {
        store.put("b", "a.jpg", bytes: MemoryStore.png(width: 3, height: 2))
        _ = try updater().sync(bucket: "b", keys: ["a.jpg"])
        store.requests = []
        let again = try updater().sync(bucket: "b", keys: ["a.jpg"])
        XCTAssertEqual(store.requests, ["RANGE b/a.jpg 0-4095 -> 206", "RANGE b/images.json 0-1048575 -> 206"])
        XCTAssertFalse(again.wrote)
        XCTAssertEqual(again.summary?.unchanged, 1)
    }

    func testAWarmProcessRevalidatesItsCatalogInsteadOfDownloadingIt() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        store.put("b", "b.png", bytes: MemoryStore.png(width: 2, height: 2))
        let warm = updater()
        _ = try warm.sync(bucket: "b", keys: ["a.png"])
        store.requests = []
        let cached = try XCTUnwrap(store.object("b", "images.json")).etag
        let second = try warm.sync(bucket: "b", keys: ["b.png"])
        XCTAssertEqual(store.requests.prefix(2), ["RANGE b/b.png 0-4095 -> 206", "RANGE b/images.json 0-1048575 if-none-match \(cached) -> 304"])
        XCTAssertEqual(second.summary?.added, 1)
        XCTAssertEqual(Set(try names()), ["a.png", "b.png"])
        // Someone else writes: the cached copy is stale, the 200 brings the new catalog.
        store.put("b", "c.png", bytes: MemoryStore.png(width: 3, height: 3))
        _ = try updater().sync(bucket: "b", keys: ["c.png"])
        store.delete("b", "a.png")
        _ = try warm.sync(bucket: "b", keys: ["a.png"])
        XCTAssertEqual(Set(try names()), ["b.png", "c.png"])
    }

    func testTheCacheNeverHidesACorruptCatalog() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        let warm = updater()
        _ = try warm.sync(bucket: "b", keys: ["a.png"])
        store.put("b", "images.json", "[oops")
        XCTAssertThrowsError(try warm.sync(bucket: "b", keys: ["a.png"]))
        XCTAssertEqual(store.text("b", "images.json"), "[oops")
    }

    func testAKeyThatIsGoneIsRemovedWhateverTheEventSaid() throws {
        store.put("b", "a.jpg", bytes: MemoryStore.png(width: 3, height: 2))
        _ = try updater().sync(bucket: "b", keys: ["a.jpg"])
        store.delete("b", "a.jpg")
        // A late "created" event for a.jpg: S3's truth says it is gone, so it stays gone.
        let late = try updater().sync(bucket: "b", keys: ["a.jpg"])
        XCTAssertEqual(late.summary?.removed, 1)
        XCTAssertEqual(try names(), [])
    }

    func testNonImagesAreSkippedWhateverTheirName() throws {
        store.put("b", "notes.png", "hello, I am text")
        store.put("b", "empty.jpg", "")
        store.put("b", "cut.png", bytes: Array(MemoryStore.png(width: 3, height: 2).prefix(20)))
        let result = try updater().sync(bucket: "b", keys: ["notes.png", "empty.jpg", "cut.png", "folder/"])
        XCTAssertEqual(result.skipped.map(\.key), ["notes.png", "empty.jpg", "cut.png", "folder/"])
        XCTAssertTrue(result.skipped[0].reason.hasPrefix("not an image: "), result.skipped[0].reason)
        XCTAssertTrue(result.skipped[2].reason.hasPrefix("unreadable png header: "), result.skipped[2].reason)
        XCTAssertEqual(result.skipped[3].reason, "a folder marker, not an object")
        XCTAssertFalse(store.requests.contains { $0.hasSuffix("b/folder/") })
        XCTAssertFalse(result.wrote)
    }

    func testAnImageReplacedByANonImageLeavesTheCatalog() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 3, height: 2))
        _ = try updater().sync(bucket: "b", keys: ["a.png"])
        store.put("b", "a.png", "now a text file")
        let result = try updater().sync(bucket: "b", keys: ["a.png"])
        XCTAssertEqual(result.summary?.removed, 1)
        XCTAssertEqual(try names(), [])
    }

    func testAConcurrentWriterIsNotLost() throws {
        store.put("b", "a.jpg", bytes: MemoryStore.png(width: 3, height: 2))
        store.put("b", "other.gif", bytes: MemoryStore.png(width: 3, height: 2))
        store.beforeWrite = { [store] in
            // Another invocation commits other.gif between our read and our write.
            var other = CatalogUpdater(store: store, catalogKey: "images.json")
            other.sleepMs = { _ in }
            _ = try? other.sync(bucket: "b", keys: ["other.gif"])
        }
        let result = try updater().sync(bucket: "b", keys: ["a.jpg"])
        XCTAssertEqual(result.attempts, 2)
        XCTAssertEqual(Set(try names()), ["a.jpg", "other.gif"])
        XCTAssertEqual(sleeps, [10])
    }

    /// The interleaving that makes the post-write check necessary: we observe a.jpg, it is deleted,
    /// the delete's invocation finds the catalog already without it and writes nothing, and then
    /// our write (its If-Match still valid) would publish the stale entry for good.
    func testAStaleObservationIsCaughtAfterTheWrite() throws {
        store.put("b", "images.json", "[]\n")
        store.put("b", "a.jpg", bytes: MemoryStore.png(width: 3, height: 2))
        store.beforeWrite = { [store] in
            store.delete("b", "a.jpg")
            var deleteInvocation = CatalogUpdater(store: store, catalogKey: "images.json")
            deleteInvocation.sleepMs = { _ in }
            let result = try? deleteInvocation.sync(bucket: "b", keys: ["a.jpg"])
            XCTAssertEqual(result?.wrote, false)
        }
        let result = try updater().sync(bucket: "b", keys: ["a.jpg"])
        XCTAssertEqual(result.attempts, 2)
        XCTAssertEqual(try names(), [])
    }

    func testACorruptCatalogIsNeverOverwritten() throws {
        store.put("b", "images.json", #"[{"name":"a.jpg","type":"jpg"}]"#)
        store.put("b", "c.png", bytes: MemoryStore.png(width: 3, height: 2))
        XCTAssertThrowsError(try updater().sync(bucket: "b", keys: ["c.png"])) { error in
            guard case CatalogUpdateError.corruptCatalog(let bucket, let key, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(bucket, "b")
            XCTAssertEqual(key, "images.json")
            XCTAssertTrue("\(error)".hasPrefix("s3://b/images.json is not a valid catalog, left unchanged: "), "\(error)")
        }
        XCTAssertFalse(store.requests.contains { $0.hasPrefix("PUT") })
        XCTAssertEqual(store.text("b", "images.json"), #"[{"name":"a.jpg","type":"jpg"}]"#)
    }

    func testEndlessContentionGivesUpWithAClearError() throws {
        store.put("b", "a.jpg", bytes: MemoryStore.png(width: 3, height: 2))
        store.forcedConflicts = .max
        var updater = updater()
        updater.maxAttempts = 4
        XCTAssertThrowsError(try updater.sync(bucket: "b", keys: ["a.jpg"])) { error in
            XCTAssertEqual("\(error)", "s3://b/images.json: still contended after 4 conditional writes; the changes will be redelivered")
        }
        XCTAssertEqual(sleeps, [10, 20, 40])
    }

    func testContentionStopsBeforeTheDeadline() throws {
        store.put("b", "a.jpg", bytes: MemoryStore.png(width: 3, height: 2))
        store.forcedConflicts = .max
        var updater = updater()
        var now: Int64 = 1_000_000
        updater.nowMs = { now }
        updater.sleepMs = { [unowned self] in sleeps.append($0); now += Int64($0) }
        XCTAssertThrowsError(try updater.sync(bucket: "b", keys: ["a.jpg"], deadline: Deadline(epochMilliseconds: now + 200)))
        // 10 + 20 + 40 + 80 ms of backoff, then the next 160 ms would cross the deadline.
        XCTAssertEqual(sleeps, [10, 20, 40, 80])
    }
}

/// The figures a sync leaves in its result for the metrics.
final class BucketSyncResultFiguresTests: XCTestCase {
    func testSkipsAreCountedByKindAndForgottenByKind() {
        var result = BucketSyncResult(bucket: "b")
        result.skip("a.txt", "not an image: text", .notImage)
        result.skip("x.png", "S3 refuses it", .refused)
        result.skip("y.png", "S3 refuses it", .refused)
        XCTAssertEqual(result.skippedByKind, [.notImage: 1, .refused: 2])
        result.unskip([ExactKey("x.png")])
        XCTAssertEqual(result.skippedByKind, [.notImage: 1, .refused: 1])
        XCTAssertEqual(result.skippedCount, 2)
        XCTAssertEqual(result.skipped.map(\.kind), [.notImage, .refused])
    }

    func testLostWritesRoundsAndTheVersionEndedOn() throws {
        let store = MemoryStore()
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        store.forcedConflicts = 2
        var updater = CatalogUpdater(store: store, catalogKey: "images.json")
        updater.sleepMs = { _ in }
        updater.nowMs = { 1_800_000_000_000 }
        let result = try updater.sync(bucket: "b", keys: ["a.png"])
        XCTAssertEqual(result.attempts, 3)
        XCTAssertEqual(result.lostWrites, 2)
        XCTAssertEqual(result.catalogEntries, 1)
        XCTAssertEqual(result.catalogBytes, Int64(store.text("b", "images.json")!.utf8.count))
        XCTAssertEqual(result.settledAtMs, 1_800_000_000_000)
    }

    func testNothingToChangeSettlesAtTheRead() throws {
        let store = MemoryStore()
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        var updater = CatalogUpdater(store: store, catalogKey: "images.json")
        _ = try updater.sync(bucket: "b", keys: ["a.png"])
        var clock: Int64 = 5
        updater.nowMs = { clock += 10; return clock }
        let again = try updater.sync(bucket: "b", keys: ["a.png"])
        XCTAssertFalse(again.wrote)
        XCTAssertNotNil(again.settledAtMs)
        XCTAssertEqual(again.lostWrites, 0)
        XCTAssertEqual(again.readMs + again.writeMs, 20, "each phase timed on the updater's clock")
    }
}
