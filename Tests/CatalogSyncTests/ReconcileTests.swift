import Catalog
import JSON
import XCTest
import TestSupport
@testable import CatalogSync

final class ReconcileTests: XCTestCase {
    let store = MemoryStore()

    func updater() -> CatalogUpdater {
        var updater = CatalogUpdater(store: store, catalogKey: "images.json")
        updater.sleepMs = { _ in }
        return updater
    }

    func catalog() throws -> Catalog { try Catalog(parsing: Array(store.text("b", "images.json")!.utf8)) }

    func testRebuildsADriftedCatalog() throws {
        store.put("b", "kept.png", bytes: MemoryStore.png(width: 1, height: 1))
        store.put("b", "changed.png", bytes: MemoryStore.png(width: 2, height: 2))
        store.put("b", "missing.png", bytes: MemoryStore.png(width: 3, height: 3))
        store.put("b", "notes.txt", "text")
        _ = try updater().sync(bucket: "b", keys: ["kept.png", "changed.png"])
        // Drift: changed.png replaced, a deleted image still listed, an upload never notified.
        store.put("b", "changed.png", bytes: MemoryStore.png(width: 20, height: 10))
        store.put("b", "deleted.png", bytes: MemoryStore.png(width: 4, height: 4))
        _ = try updater().sync(bucket: "b", keys: ["deleted.png"])
        store.delete("b", "deleted.png")
        store.requests = []

        let result = try updater().reconcile(bucket: "b")
        XCTAssertEqual(result.summary?.added, 1)
        XCTAssertEqual(result.summary?.updated, 1)
        XCTAssertEqual(result.summary?.removed, 1)
        XCTAssertEqual(result.summary?.unchanged, 1)
        XCTAssertEqual(result.skipped.map(\.key), ["notes.txt"])
        let rebuilt = try catalog()
        XCTAssertEqual(Set(rebuilt.names), ["kept.png", "changed.png", "missing.png"])
        XCTAssertEqual(rebuilt["changed.png"]?.extra["width"]?.int64Value, 20)
        // kept.png matched by ETag: never read again.
        XCTAssertFalse(store.requests.contains { $0.hasSuffix("b/kept.png") })
    }

    func testASecondReconcileWritesNothing() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        _ = try updater().reconcile(bucket: "b")
        store.requests = []
        let again = try updater().reconcile(bucket: "b")
        XCTAssertFalse(again.wrote)
        // The state object is read too (it remembers refusals and where a pass stopped).
        XCTAssertEqual(store.requests, ["GET b/images.json.reconcile", "GET b/images.json", "LIST b"])
    }

    func testAPrefixLimitsWhatIsListedAndRemoved() throws {
        store.put("b", "images/a.png", bytes: MemoryStore.png(width: 1, height: 1))
        store.put("b", "elsewhere.png", bytes: MemoryStore.png(width: 1, height: 1))
        store.put("b", "images.json", #"[{"name":"outside.png","type":"png","size":1}]"#)
        let result = try updater().reconcile(bucket: "b", prefix: "images/")
        XCTAssertEqual(result.summary?.added, 1)
        XCTAssertEqual(Set(try catalog().names), ["outside.png", "images/a.png"])
    }

    func testAnEmptyBucketGetsNoCatalogFile() throws {
        store.buckets["b"] = [:]
        let result = try updater().reconcile(bucket: "b")
        XCTAssertFalse(result.wrote)
        XCTAssertNil(store.text("b", "images.json"))
    }

    func testACorruptCatalogIsRefused() throws {
        store.put("b", "images.json", "[1,")
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        XCTAssertThrowsError(try updater().reconcile(bucket: "b")) {
            guard case CatalogUpdateError.corruptCatalog = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(store.text("b", "images.json"), "[1,")
    }
}
