import Storage
import Basics
import Catalog
import S3
import XCTest
import TestSupport
@testable import CatalogSync

/// The reorderings of the write path, each scripted as the interleaving that would break it:
/// observations before the catalog read, observations kept across lost writes, re-observation
/// of only the keys found changed, and the time budget.
final class CatalogUpdaterOrderTests: XCTestCase {
    var store = MemoryStore()
    var sleeps: [Int] = []

    func updater() -> CatalogUpdater { store.updater { [unowned self] in sleeps.append($0) } }

    /// Another invocation, delivered its own event, run to the end at once.
    func otherInvocation(_ keys: String...) {
        var other = CatalogUpdater(store: store, catalogKey: "images.json")
        other.sleepMs = { _ in }
        _ = try? other.sync(bucket: "b", keys: keys)
    }

    func catalog() throws -> Catalog { try store.catalog() }

    /// The objects whose heads were read, in order (`b/a.png`).
    func observations() -> [String] {
        store.requests("RANGE ").map { String($0.split(separator: " ")[1]) }.filter { $0 != "b/images.json" }
    }

    /// We observe a.jpg; before we even read the catalog it is deleted and the delete's own
    /// invocation finds nothing to remove. Our write then publishes a.jpg: the re-check sees it
    /// gone, observes it (alone) again, and the next round removes it.
    func testAStaleObservationThenADeleteConverges() throws {
        store.put("b", "images.json", "[]\n")
        store.put("b", "a.jpg", bytes: MemoryStore.png(width: 3, height: 2))
        store.put("b", "b.png", bytes: MemoryStore.png(width: 1, height: 1))
        var struck = false
        store.onRequest = { [unowned self] line in
            guard line.hasPrefix("RANGE b/images.json "), !struck else { return }
            struck = true
            store.delete("b", "a.jpg")
            otherInvocation("a.jpg")
        }
        let result = try updater().sync(bucket: "b", keys: ["a.jpg", "b.png"])
        XCTAssertEqual(result.attempts, 2)
        XCTAssertEqual(try catalog().names, ["b.png"])
        XCTAssertEqual(observations(), ["b/a.jpg", "b/b.png", "b/a.jpg", "b/a.jpg"])
        //  ours ----------------------------------------------^  the delete's ^  ours again, a.jpg only ^
    }

    /// A lost conditional write re-reads the catalog and applies the same observations: no key
    /// is fetched again.
    func testALostWriteReusesItsObservations() throws {
        for key in ["a.png", "b.png", "c.png"] { store.put("b", key, bytes: MemoryStore.png(width: 2, height: 2)) }
        store.forcedConflicts = 2
        let result = try updater().sync(bucket: "b", keys: ["a.png", "b.png", "c.png"])
        XCTAssertEqual(result.attempts, 3)
        XCTAssertEqual(sleeps, [10, 20])
        XCTAssertEqual(observations().count, 3)
        XCTAssertEqual(store.requests("RANGE b/images.json").count, 3)
        XCTAssertEqual(store.requests.filter { $0.hasPrefix("PUT") }.count, 3)
        XCTAssertEqual(store.requests("HEAD"), ["HEAD b/a.png -> 200", "HEAD b/b.png -> 200", "HEAD b/c.png -> 200"])
        XCTAssertEqual(Set(try catalog().names), ["a.png", "b.png", "c.png"])
    }

    /// Another writer wins, having cataloged a key of ours from a newer object: we re-apply our
    /// older observation on its catalog, but the re-check catches it and only that key is
    /// observed again.
    func testARecheckMismatchObservesOnlyThatKeyAgain() throws {
        for key in ["a.png", "b.png", "c.png"] { store.put("b", key, bytes: MemoryStore.png(width: 2, height: 2)) }
        store.beforeWrite = { [unowned self] in
            store.put("b", "b.png", bytes: MemoryStore.png(width: 50, height: 40))
            otherInvocation("b.png")
        }
        let result = try updater().sync(bucket: "b", keys: ["a.png", "b.png", "c.png"])
        XCTAssertEqual(result.attempts, 3)   // lost write, stale b.png, then clean
        XCTAssertEqual(observations(), ["b/a.png", "b/b.png", "b/c.png",
                                        "b/b.png",      // the other invocation
                                        "b/b.png"])     // ours, b.png alone
        XCTAssertEqual(try catalog()["b.png"]?.extra["width"]?.int64Value, 50)
        // The last write changed b.png only, so only b.png was re-checked after it.
        let read = try XCTUnwrap(store.requests.suffix(3).first)
        XCTAssertTrue(read.hasPrefix("RANGE b/images.json 0-1048575 if-none-match ") && read.hasSuffix(" -> 304"), read)
        XCTAssertTrue(store.requests.suffix(2).first!.hasPrefix("PUT b/images.json if-match "), "\(store.requests)")
        XCTAssertEqual(store.requests.last, "HEAD b/b.png -> 200")
    }

    /// The same bytes uploaded again keep their ETag: the re-check compares Last-Modified too,
    /// or a slow writer would publish the older time for good.
    func testTheSameBytesUploadedAgainAreCaughtByLastModified() throws {
        let v1 = MemoryStore.png(width: 3, height: 3)
        store.put("b", "a.png", bytes: v1)
        var struck = false
        store.onRequest = { [unowned self] line in
            guard line.hasPrefix("RANGE b/images.json "), !struck else { return }
            struck = true
            store.put("b", "a.png", bytes: MemoryStore.png(width: 9, height: 9))
            otherInvocation("a.png")
            store.put("b", "a.png", bytes: v1)
            otherInvocation("a.png")
        }
        let result = try updater().sync(bucket: "b", keys: ["a.png"])
        XCTAssertEqual(result.attempts, 2)   // written with the old time, caught, written again
        let entry = try catalog()["a.png"]
        XCTAssertEqual(entry?.extra["lastModified"]?.stringValue, store.object("b", "a.png")?.lastModified)
        XCTAssertEqual(entry?.extra["width"]?.int64Value, 3)
    }

    /// Writers are no longer stopped by a count: 30 lost writes in a row still end in success
    /// while the deadline is far.
    func testTheBudgetIsTimeNotACount() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        store.forcedConflicts = 30
        var updater = updater()
        var now: Int64 = 1_000_000
        updater.nowMs = { now }
        updater.sleepMs = { now += Int64($0) }
        let result = try updater.sync(bucket: "b", keys: ["a.png"], deadline: Deadline(epochMilliseconds: now + 60_000))
        XCTAssertEqual(result.attempts, 31)
        XCTAssertTrue(result.wrote)
    }

    /// The last round's length is measured: with rounds of 300 ms, a loser waits up to a round
    /// (not the backoff's 10 ms: it would collide again with the writer still finishing), and a
    /// round is started only if it can end before the (work) deadline.
    func testTheLastRoundsLengthIsKeptBackFromTheDeadline() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        store.forcedConflicts = .max
        var updater = updater()
        var now: Int64 = 1_000_000
        updater.nowMs = { now }
        updater.sleepMs = { [unowned self] in sleeps.append($0); now += Int64($0) }
        store.onRequest = { line in if line.hasPrefix("PUT") { now += 300 } }
        XCTAssertThrowsError(try updater.sync(bucket: "b", keys: ["a.png"], deadline: Deadline(epochMilliseconds: now + 1_500))) { error in
            guard case CatalogUpdateError.contended(_, _, let attempts) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(attempts, 2)
        }
        // Rounds end at 300 and 900 ms (a wait of up to 300 between them): another wait and round
        // would end at 1,500, at the deadline, leaving nothing for the answer.
        XCTAssertEqual(sleeps, [300])
        XCTAssertEqual(now, 1_000_900)
    }
}
