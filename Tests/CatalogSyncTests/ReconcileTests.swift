import S3
import Storage
import Basics
import Catalog
import JSON
import XCTest
import TestSupport
@testable import CatalogSync

final class ReconcileTests: XCTestCase {
    let store = MemoryStore()

    func updater() -> CatalogUpdater { store.updater() }

    func catalog() throws -> Catalog { try store.catalog() }

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
        let settled = store.settled

        let result = try updater().reconcile(bucket: "b")
        XCTAssertEqual(store.settled, settled + 1, "after its write, as the walk would go on (nothing left listed meanwhile)")
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
        XCTAssertEqual(store.requests, ["GET b/images.json.reconcile -> 404", "RANGE b/images.json 0-1048575 -> 206", "LIST b -> 200"])
    }

    /// The catalog's own objects are never entries, nor refusals to remember: a waiting writer's
    /// handover is there for a moment only.
    func testTheCatalogsOwnObjectsAreNotReconciled() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        store.put("b", "images.json.waiting/1765000000000-beef", #"{"version":1,"observed":[]}"#)
        let result = try updater().reconcile(bucket: "b")
        XCTAssertEqual(result.summary?.added, 1)
        XCTAssertEqual(result.skipped.map(\.key), [], "not even looked at")
        XCTAssertEqual(try catalog().names, ["a.png"])
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

/// What the reconcile remembers between runs, and how it stays within one invocation.
final class ReconcileStateTests: XCTestCase {
    let store = MemoryStore()

    func updater() -> CatalogUpdater { store.updater() }

    func catalog() throws -> Catalog { try store.catalog() }

    func testUnchangedNonImagesAreNotFetchedAgain() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        store.put("b", "notes.txt", "text")
        _ = try updater().reconcile(bucket: "b")
        store.requests = []
        let again = try updater().reconcile(bucket: "b")
        XCTAssertFalse(store.requests.contains { $0.hasPrefix("RANGE b/notes.txt") }, "\(store.requests)")
        XCTAssertEqual(again.remembered, 1)
        // Changed, it is looked at again.
        store.put("b", "notes.txt", bytes: MemoryStore.png(width: 5, height: 5))
        let third = try updater().reconcile(bucket: "b")
        XCTAssertEqual(third.summary?.added, 1)
        XCTAssertEqual(Set(try catalog().names), ["a.png", "notes.txt"])
    }

    /// The non-images a run remembers are bounded while it runs, not only when saved (a bucket of
    /// millions of other files must not grow the function's memory): the first ones listed.
    func testTheNonImagesARunRemembersAreBounded() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        // 30 of them: any 2 but the first two (which a bound applied only when saving could keep,
        // in a dictionary's order) is 434 chances in 435.
        for i in 1...30 { store.put("b", "n\(i < 10 ? "0" : "")\(i).txt", "text") }
        var updater = updater()
        updater.maxRememberedRefusals = 2
        _ = try updater.reconcile(bucket: "b")
        let state = ReconcileState(parsing: Array(try XCTUnwrap(store.text("b", "images.json.reconcile")).utf8))
        XCTAssertEqual(state.refused.keys.map(\.string).sorted(), ["n01.txt", "n02.txt"])
        store.requests = []
        let again = try updater.reconcile(bucket: "b")
        XCTAssertEqual(again.remembered, 2)
        XCTAssertEqual(store.requests.filter { $0.hasPrefix("RANGE b/n") }.count, 28, "the others are read again")
    }

    func testTheListingIsNotRedonePerConflictRound() throws {
        for i in 0..<5 { store.put("b", "\(i).png", bytes: MemoryStore.png(width: 1, height: 1)) }
        store.forcedConflicts = 3
        let result = try updater().reconcile(bucket: "b")
        XCTAssertEqual(result.attempts, 4)
        XCTAssertEqual(store.requests.filter { $0.hasPrefix("LIST b") && !$0.contains("after") }.count, 1)
        XCTAssertEqual(store.requests("RANGE").filter { !$0.contains("/images.json") }.count, 5)
        XCTAssertEqual(try catalog().count, 5)
    }

    func testTheSummaryIsBounded() throws {
        for i in 0..<300 { store.put("b", "junk/\(i)", "junk") }
        let result = try updater().reconcile(bucket: "b")
        XCTAssertEqual(result.skipped.count, 100)
        XCTAssertEqual(result.skippedCount, 300)
    }

    /// One deadline lists one page here; each run commits what it listed and the next goes on,
    /// until the pass is complete and an entry whose object is gone is removed.
    func testABigBucketIsFinishedAcrossInvocations() throws {
        for i in 0..<2_500 { store.put("b", "p/\(1_000_000 + i).png", bytes: MemoryStore.png(width: 1, height: 1)) }
        store.put("b", "images.json", #"[{"name":"p/1000003x.png","type":"png","size":1},{"name":"p/zzz.png","type":"png","size":1}]"#)
        var updater = updater()
        var now: Int64 = 0
        updater.nowMs = { now }
        store.onRequest = { line in if line.hasPrefix("LIST") { now += 600 } }
        var runs: [Bool?] = []
        repeat {
            now = 0
            runs.append(try updater.reconcile(bucket: "b", deadline: Deadline(epochMilliseconds: 1_000)).complete)
        } while runs.last != true && runs.count < 10
        XCTAssertEqual(runs, [false, false, true])
        let names = Set(try catalog().names)
        XCTAssertEqual(names.count, 2_500)
        XCTAssertFalse(names.contains("p/1000003x.png"))
        XCTAssertFalse(names.contains("p/zzz.png"))
        // The next run starts a new pass.
        XCTAssertTrue(String(decoding: store.object("b", "images.json.reconcile")!.bytes, as: UTF8.self).contains(#""startAfter":null"#))
    }

    /// Writers append suspects; past `maxSuspects` the oldest go (the likeliest settled since),
    /// never the newest. The newest were dropped, and every new one with them once it was full.
    func testTheNewestSuspectsAreKept() {
        var state = ReconcileState()
        state.suspects = (0...ReconcileState.maxSuspects).map { "k\($0)" }
        let kept = ReconcileState(parsing: state.serialized()).suspects
        XCTAssertEqual(kept.count, ReconcileState.maxSuspects)
        XCTAssertEqual(kept.first, "k1")
        XCTAssertEqual(kept.last, "k\(ReconcileState.maxSuspects)")
    }

    /// A catalog writer that leaves suspects while a run is under way changes the state object
    /// under it: the run's write of its cursor is lost, read again and kept with the suspects.
    /// It was dropped, and the next run started again from where this one had.
    func testTheCursorIsKeptWhenAWriterLeftSuspectsMeanwhile() throws {
        for i in 0..<2_500 { store.put("b", "p/\(1_000_000 + i).png", bytes: MemoryStore.png(width: 1, height: 1)) }
        var updater = updater()
        var now: Int64 = 0
        updater.nowMs = { now }
        let writer = self.updater()
        store.onRequest = { [store] line in
            if line.hasPrefix("LIST") { now += 600 }
            guard line.hasPrefix("PUT b/images.json.reconcile ") else { return }
            store.onRequest = nil
            writer.leaveForReconcile(["p/suspect.png"], bucket: "b")
        }
        let complete = try updater.reconcile(bucket: "b", deadline: Deadline(epochMilliseconds: 1_000)).complete
        XCTAssertEqual(complete, false)
        let state = ReconcileState(parsing: try XCTUnwrap(store.object("b", "images.json.reconcile")).bytes)
        XCTAssertEqual(state.suspects, ["p/suspect.png"])
        XCTAssertEqual(state.startAfter, "p/1000999.png", "where the run stopped: after its first page")
    }

    /// A key whose read fails alone (a 5xx past the client's retries) is left for the next run,
    /// which observes it first; the walk goes on and reconciles the rest. It failed the run, and
    /// since a run that fails saves nothing, every run after it stopped at the same key.
    func testAKeyWhoseReadFailsAloneIsLeftForTheNextRun() throws {
        for name in ["a.png", "broken.png", "c.png"] { store.put("b", name, bytes: MemoryStore.png(width: 1, height: 1)) }
        store.rangeErrors[ExactKey("broken.png")] = KeyReadError(S3Error(
            operation: "GetObject", bucket: "b", key: "broken.png", kind: .service(status: 500, code: "InternalError", message: "", requestId: nil)))
        let result = try updater().reconcile(bucket: "b")
        XCTAssertEqual(result.complete, true)
        XCTAssertEqual(result.failedKeys.map(\.key), ["broken.png"])
        XCTAssertEqual(try catalog().names, ["a.png", "c.png"])
        let state = ReconcileState(parsing: try XCTUnwrap(store.object("b", "images.json.reconcile")).bytes)
        XCTAssertEqual(state.suspects, ["broken.png"])
        // Still failing, and now observed first and alone: the run goes on all the same.
        store.put("b", "d.png", bytes: MemoryStore.png(width: 1, height: 1))
        let again = try updater().reconcile(bucket: "b")
        XCTAssertEqual(again.complete, true)
        XCTAssertEqual(again.failedKeys.map(\.key), ["broken.png"])
        XCTAssertEqual(try catalog().names, ["a.png", "c.png", "d.png"])
        store.rangeErrors = [:]
        XCTAssertEqual(try updater().reconcile(bucket: "b").summary?.added, 1)
        XCTAssertEqual(try catalog().names, ["a.png", "broken.png", "c.png", "d.png"])
    }

    /// A suspect whose first read fails and whose read in the walk succeeds is cataloged, and
    /// is no failure of the run (it was counted, logged and suspected again).
    func testASuspectReadLaterInTheWalkIsNoFailure() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        store.put("b", "flaky.png", bytes: MemoryStore.png(width: 1, height: 1))
        updater().leaveForReconcile(["flaky.png"], bucket: "b")
        store.rangeErrors[ExactKey("flaky.png")] = KeyReadError(S3Error(
            operation: "GetObject", bucket: "b", key: "flaky.png", kind: .service(status: 500, code: "InternalError", message: "", requestId: nil)))
        var reads = 0
        store.onRequest = { [store] line in
            guard line.hasPrefix("RANGE b/flaky.png ") else { return }
            reads += 1
            if reads == 2 { store.rangeErrors = [:] }                  // the walk's read, after the suspect's
        }
        let result = try updater().reconcile(bucket: "b")
        XCTAssertEqual(reads, 2)
        XCTAssertEqual(result.failedKeys.map(\.key), [])
        XCTAssertEqual(try catalog().names, ["a.png", "flaky.png"])
        let state = ReconcileState(parsing: try XCTUnwrap(store.object("b", "images.json.reconcile")).bytes)
        XCTAssertEqual(state.suspects, [])
    }

    func testAStaleEntryThatDiffersOnlyInNormalizationIsRemoved() throws {
        let composed = "caf\u{E9}.png", decomposed = "cafe\u{301}.png"
        store.put("b", composed, bytes: MemoryStore.png(width: 1, height: 1))
        store.put("b", decomposed, bytes: MemoryStore.png(width: 1, height: 1))
        _ = try updater().reconcile(bucket: "b")
        XCTAssertEqual(try catalog().count, 2)
        store.delete("b", decomposed)
        let result = try updater().reconcile(bucket: "b")
        XCTAssertEqual(result.summary?.removed, 1)
        XCTAssertEqual(try catalog().names.map { Array($0.utf8) }, [Array(composed.utf8)])
    }

    func testAPrefixIsComparedByBytes() throws {
        store.put("b", "cafe\u{301}/a.png", bytes: MemoryStore.png(width: 1, height: 1))
        store.put("b", "images.json", "[{\"name\":\"cafe\u{301}/gone.png\",\"type\":\"png\",\"size\":1}]")
        // The composed prefix is another folder: the decomposed one's entries are not its business.
        let result = try updater().reconcile(bucket: "b", prefix: "caf\u{E9}/")
        XCTAssertEqual(result.summary?.removed, 0)
        XCTAssertEqual(try catalog().count, 1)
    }
}
