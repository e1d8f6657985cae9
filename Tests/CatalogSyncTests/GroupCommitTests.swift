import Catalog
import XCTest
import TestSupport
@testable import CatalogSync

/// After a lost write an invocation publishes its observations under `images.json.pending/` and
/// whoever commits next carries them: scripted interleavings of that protocol (opt-in, see
/// `CatalogUpdater.groupCommit`).
final class GroupCommitTests: XCTestCase {
    var store = MemoryStore()

    func updater() -> CatalogUpdater {
        var updater = CatalogUpdater(store: store, catalogKey: "images.json")
        updater.sleepMs = { _ in }
        updater.random = { $0 }
        updater.groupCommit = true
        return updater
    }

    func catalog() throws -> Catalog { try Catalog(parsing: Array(store.text("b", "images.json")!.utf8)) }

    func pendingKeys() -> [String] {
        (store.buckets["b"] ?? [:]).keys.map { String(decoding: $0.bytes, as: UTF8.self) }
            .filter { $0.hasPrefix("images.json.pending/") }
    }

    /// A pending object as another invocation (waiting, or crashed) left it.
    func publish(_ name: String, _ observed: [ObservedKey]) {
        store.put("b", "images.json.pending/" + name, bytes: PendingObservations(observed).serialized())
    }

    func observation(_ key: String) throws -> ObservedKey {
        var result = BucketSyncResult(bucket: "b")
        return try XCTUnwrap(try updater().observe([key], bucket: "b", into: &result).first)
    }

    func testALostWritePublishesCommitsAndCleansUp() throws {
        for key in ["a.png", "b.png"] { store.put("b", key, bytes: MemoryStore.png(width: 2, height: 2)) }
        store.forcedConflicts = 1
        let result = try updater().sync(bucket: "b", keys: ["a.png", "b.png"])
        XCTAssertEqual(result.attempts, 2)
        XCTAssertEqual(Set(try catalog().names), ["a.png", "b.png"])
        XCTAssertEqual(pendingKeys(), [])
        XCTAssertEqual(store.requests.filter { $0.hasPrefix("OBSERVE") }.count, 2)   // observations reused
        let pending = try XCTUnwrap(store.requests.first { $0.hasPrefix("PUT b/images.json.pending/") })
        XCTAssertTrue(store.requests.contains("LIST b images.json.pending/"))
        XCTAssertEqual(store.requests.last, "DELETE " + pending.dropFirst(4))
    }

    func testOneWriteCarriesAWaitingInvocationsObservations() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 2, height: 2))
        store.put("b", "w.png", bytes: MemoryStore.png(width: 7, height: 7))
        publish("0000000000001-1.json", [try observation("w.png")])
        store.forcedConflicts = 1
        store.requests = []
        let result = try updater().sync(bucket: "b", keys: ["a.png"])
        XCTAssertEqual(result.mergedPending, 1)
        XCTAssertEqual(Set(try catalog().names), ["a.png", "w.png"])
        XCTAssertEqual(store.requests.filter { $0 == "PUT b/images.json" }.count, 2)   // the lost one, then one for both
        XCTAssertEqual(pendingKeys(), [])
    }

    /// We lost and published; before our next round another invocation loses too, finds our
    /// pending object older than `pendingStaleAfterMs` (we look stuck), commits both and deletes
    /// them: we are done without a write of our own.
    func testAStuckCommittersObservationsAreTakenOver() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 2, height: 2))
        store.put("b", "b.png", bytes: MemoryStore.png(width: 3, height: 3))
        var otherRan = false
        var otherResult: BucketSyncResult?
        store.onRequest = { [unowned self] line in
            guard line == "LIST b images.json.pending/", !otherRan else { return }
            otherRan = true
            store.forcedConflicts = 1
            var other = updater()
            other.nowMs = { 15_000 }
            otherResult = try? other.sync(bucket: "b", keys: ["b.png"])
        }
        store.forcedConflicts = 1
        var mine = updater()
        mine.nowMs = { 10_000 }
        let result = try mine.sync(bucket: "b", keys: ["a.png"])
        XCTAssertTrue(result.mergedElsewhere)
        XCTAssertEqual(otherResult?.mergedPending, 1)
        XCTAssertEqual(Set(try catalog().names), ["a.png", "b.png"])
        XCTAssertEqual(pendingKeys(), [])
        XCTAssertEqual(store.requests.filter { $0 == "PUT b/images.json" }.count, 3)   // two lost, one for both
    }

    /// An older pending object's owner is committing: we only poll the listing until ours is
    /// gone, with no catalog read or write of our own.
    func testAWaiterLeavesTheCommitToTheOldestAndPollsUntilMerged() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 2, height: 2))
        store.put("b", "l.png", bytes: MemoryStore.png(width: 4, height: 4))
        publish("0000000009900-1.json", [try observation("l.png")])    // the leader's, 100 ms old
        var mine = updater()
        mine.nowMs = { 10_000 }
        var polls = 0
        mine.sleepMs = { [unowned self] _ in
            polls += 1
            guard polls == 3 else { return }
            // The leader commits: both keys, then deletes what it merged.
            var leader = updater()
            leader.groupCommit = false
            _ = try? leader.sync(bucket: "b", keys: ["l.png", "a.png"])
            for key in pendingKeys() { store.delete("b", key) }
        }
        store.forcedConflicts = 1
        store.requests = []
        let result = try mine.sync(bucket: "b", keys: ["a.png"])
        XCTAssertTrue(result.mergedElsewhere)
        XCTAssertEqual(polls, 3)   // the backoff after the lost write, then two polls
        XCTAssertEqual(store.requests.filter { $0.hasPrefix("LIST b images.json.pending/") }.count, 3)
        // Ours: one lost write; the leader's plain sync: one read, one write.
        XCTAssertEqual(store.requests.filter { $0 == "PUT b/images.json" }.count, 2)
        XCTAssertEqual(Set(try catalog().names), ["a.png", "l.png"])
    }

    /// A crash left a pending object with an old observation; the catalog holds the same stale
    /// entry (its writer gave up after writing). Merging it changes nothing, so only re-checking
    /// every merged key (not only changed entries) catches it before the object is deleted.
    func testAStalePendingObjectLeftByACrashIsFencedEvenWhenTheCatalogAgrees() throws {
        store.put("b", "k.png", bytes: MemoryStore.png(width: 1, height: 1))
        let old = try observation("k.png")
        var plain = updater()
        plain.groupCommit = false
        _ = try plain.sync(bucket: "b", keys: ["k.png"])              // the catalog says 1x1...
        store.put("b", "k.png", bytes: MemoryStore.png(width: 5, height: 5))   // ...k.png is now 5x5
        publish("0000000000001-1.json", [old])
        store.put("b", "a.png", bytes: MemoryStore.png(width: 2, height: 2))
        store.forcedConflicts = 1
        _ = try updater().sync(bucket: "b", keys: ["a.png"])
        XCTAssertEqual(try catalog()["k.png"]?.extra["width"]?.int64Value, 5)
        XCTAssertEqual(pendingKeys(), [])
    }

    func testUnreadablePendingObjectsAreDroppedNotApplied() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 2, height: 2))
        store.put("b", "images.json.pending/0000000000001-1.json", "not pending observations")
        store.put("b", "images.json.pending/0000000000002-2.json", #"{"version":1,"observations":[{"key":"x","entry":{"type":"png","size":-1}}]}"#)
        store.forcedConflicts = 1
        let result = try updater().sync(bucket: "b", keys: ["a.png"])
        XCTAssertEqual(result.mergedPending, 2)
        XCTAssertEqual(try catalog().names, ["a.png"])
        XCTAssertEqual(pendingKeys(), [])
    }

    func testPendingNamesSortByTime() {
        let early = CatalogUpdater.pendingName(nowMs: 999, random: .max)
        let late = CatalogUpdater.pendingName(nowMs: 1_000, random: 0)
        XCTAssertTrue(ExactKey(early) < ExactKey(late), "\(early) \(late)")
        XCTAssertEqual(early, "0000000000999-ffffffffffffffff.json")
    }
}

extension GroupCommitTests {
    /// A pending object says k.png exists (newer than anything we saw); it has been deleted
    /// since. Our fresh "gone" must win over it after the re-check, or the rounds never end.
    func testAFreshObservationBeatsAPendingOne() throws {
        store.put("b", "k.png", bytes: MemoryStore.png(width: 1, height: 1))
        publish("0000000000001-1.json", [try observation("k.png")])
        store.delete("b", "k.png")
        store.put("b", "a.png", bytes: MemoryStore.png(width: 2, height: 2))
        store.forcedConflicts = 1
        let result = try updater().sync(bucket: "b", keys: ["a.png"])
        XCTAssertLessThanOrEqual(result.attempts, 4)
        XCTAssertEqual(try catalog().names, ["a.png"])
        XCTAssertEqual(pendingKeys(), [])
    }
}
