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

    /// Our observation of a.png goes stale before our write (a.png is uploaded again, its event
    /// not yet applied), but the entry our write replaces is an older version's, not the new
    /// one's: the HEAD of the re-check tells, so a.png is neither observed again nor written
    /// again; the new version's own invocation mends the entry.
    func testAStaleWriteOverAnOlderVersionsEntryIsLeftToTheNewVersionsWriter() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 2, height: 2))
        otherInvocation("a.png")
        store.put("b", "a.png", bytes: MemoryStore.png(width: 3, height: 3))
        store.beforeWrite = { [unowned self] in
            store.put("b", "a.png", bytes: MemoryStore.png(width: 4, height: 4))
        }
        store.requests = []
        let result = try updater().sync(bucket: "b", keys: ["a.png"])
        XCTAssertEqual(result.attempts, 1)
        XCTAssertEqual(result.staleLeft, 1)
        XCTAssertEqual(observations(), ["b/a.png"], "not observed again")
        XCTAssertEqual(try catalog()["a.png"]?.extra["width"]?.int64Value, 3)
        otherInvocation("a.png")                                  // the new version's event
        let entry = try catalog()["a.png"]
        XCTAssertEqual(entry?.extra["width"]?.int64Value, 4)
        XCTAssertEqual(entry?.extra["etag"]?.stringValue, store.object("b", "a.png")?.etag)
    }

    /// We add a.png; before our write it is uploaded again. Our write replaced no entry, which a
    /// non-image would give too, so a.png is observed again: an image, so the write did not
    /// replace its entry, and the new version's own invocation mends it.
    func testAStaleAddOfAKeyUploadedAgainAsAnImageIsObservedThenLeft() throws {
        store.put("b", "images.json", "[]\n")
        store.put("b", "a.png", bytes: MemoryStore.png(width: 3, height: 3))
        store.beforeWrite = { [unowned self] in
            store.put("b", "a.png", bytes: MemoryStore.png(width: 4, height: 4))
        }
        let result = try updater().sync(bucket: "b", keys: ["a.png"])
        XCTAssertEqual(result.attempts, 1)
        XCTAssertEqual(result.staleLeft, 1)
        XCTAssertEqual(observations(), ["b/a.png", "b/a.png"])
        XCTAssertEqual(store.requests.filter { $0.hasPrefix("PUT") }.count, 1)
        otherInvocation("a.png")
        XCTAssertEqual(try catalog()["a.png"]?.extra["width"]?.int64Value, 4)
    }

    /// We add a.png; before our write it is replaced by a file that is not an image, and that
    /// version's invocation finds nothing to remove. Our write then publishes a.png: it replaced
    /// no entry, which is exactly what the new version gives, so we go round and remove it
    /// (nobody else would).
    func testAStaleAddOfAKeyReplacedByANonImageGoesRound() throws {
        store.put("b", "images.json", "[]\n")
        store.put("b", "a.png", bytes: MemoryStore.png(width: 3, height: 3))
        store.beforeWrite = { [unowned self] in
            store.put("b", "a.png", "just text, not an image")
            otherInvocation("a.png")
        }
        let result = try updater().sync(bucket: "b", keys: ["a.png"])
        XCTAssertEqual(result.attempts, 2)
        XCTAssertEqual(result.staleLeft, 0)
        XCTAssertEqual(try catalog().names, [])
    }

    /// A plain conflict (a first answer's 412: nothing of ours landed), here to another
    /// invocation that cataloged a.png as we observed it: the next round finds it in and answers
    /// without a re-check; only a write that may have landed leaves keys to re-check.
    func testAPlainConflictLeavesNothingToReCheck() throws {
        store.put("b", "images.json", "[]\n")
        store.put("b", "a.png", bytes: MemoryStore.png(width: 3, height: 3))
        store.beforeWrite = { [unowned self] in otherInvocation("a.png") }
        let result = try updater().sync(bucket: "b", keys: ["a.png"])
        XCTAssertEqual(result.lostWrites, 1)
        XCTAssertEqual(result.attempts, 2)
        let afterOurs = try XCTUnwrap(store.requests.lastIndex { $0.hasPrefix("PUT b/images.json") && $0.hasSuffix("412") })
        XCTAssertFalse(store.requests[afterOurs...].contains { $0.hasPrefix("HEAD b/a.png") || $0.hasPrefix("LIST") },
                       "\(store.requests[afterOurs...])")
        XCTAssertEqual(try catalog()["a.png"]?.extra["width"]?.int64Value, 3)
    }

    /// Our write replaces the entry of a.png's current version with our older observation, and
    /// lands with its answer lost, on a store whose ETags cannot be predicted: it counts as lost.
    /// The next round finds our entry in place (nothing to write), and re-checks a.png all the
    /// same: changed, so it goes round and writes the current version's entry back.
    func testAWriteThatMayHaveLandedIsRecheckedWhenTheNextRoundFindsItsEntriesInPlace() throws {
        store.predictsETags = false
        store.put("b", "images.json", "[]\n")
        store.put("b", "a.png", bytes: MemoryStore.png(width: 3, height: 3))
        var struck = false
        store.onRequest = { [unowned self] line in
            guard line.hasPrefix("RANGE b/images.json "), !struck else { return }
            struck = true                        // uploaded again and cataloged before our read
            store.put("b", "a.png", bytes: MemoryStore.png(width: 4, height: 4))
            otherInvocation("a.png")
            store.lostAnswers = 1
        }
        let result = try updater().sync(bucket: "b", keys: ["a.png"])
        XCTAssertEqual(result.lostWrites, 1)
        XCTAssertEqual(result.attempts, 3, "lost (landed), nothing to write but changed, written again")
        XCTAssertEqual(try catalog()["a.png"]?.extra["width"]?.int64Value, 4)
    }

    /// As above, but the next round writes (another key, b.png, changed meanwhile), leaving
    /// a.png as it found it: a.png is re-checked all the same, and goes round, since the lost
    /// write replaced its current version's entry. (b.png's own write and the lost one replaced
    /// older versions' entries: it is left to its new version's writer.)
    func testAWriteThatMayHaveLandedIsRecheckedByALaterWrite() throws {
        store.predictsETags = false
        store.put("b", "images.json", "[]\n")
        store.put("b", "a.png", bytes: MemoryStore.png(width: 3, height: 3))
        store.put("b", "b.png", bytes: MemoryStore.png(width: 5, height: 5))
        var reads = 0, inOther = false
        store.onRequest = { [unowned self] line in
            guard line.hasPrefix("RANGE b/images.json "), !inOther else { return }
            reads += 1
            inOther = true
            defer { inOther = false }
            if reads == 1 {                          // both uploaded again and cataloged before our read
                store.put("b", "a.png", bytes: MemoryStore.png(width: 4, height: 4))
                store.put("b", "b.png", bytes: MemoryStore.png(width: 6, height: 6))
                otherInvocation("a.png", "b.png")
                store.lostAnswers = 1
            } else if reads == 2 {                   // b.png: again, cataloged, and again
                store.put("b", "b.png", bytes: MemoryStore.png(width: 7, height: 7))
                otherInvocation("b.png")
                store.put("b", "b.png", bytes: MemoryStore.png(width: 8, height: 8))
            }
        }
        let result = try updater().sync(bucket: "b", keys: ["a.png", "b.png"])
        XCTAssertEqual(result.lostWrites, 1)
        XCTAssertEqual(result.attempts, 3, "lost (landed), b.png written, a.png written back")
        XCTAssertEqual(result.staleLeft, 1, "b.png")
        XCTAssertEqual(try catalog()["a.png"]?.extra["width"]?.int64Value, 4)
    }

    /// We add a.png and b.png; b.png is deleted before our re-check, so we go round. Meanwhile
    /// a.png, confirmed by that re-check, is deleted and removed by its own invocation: our
    /// second round applies b.png alone, and does not add a.png back (which would cost a third).
    func testARoundAfterAKeptWriteAppliesOnlyTheKeysItGoesRoundFor() throws {
        store.put("b", "images.json", "[]\n")
        store.put("b", "a.png", bytes: MemoryStore.png(width: 3, height: 3))
        store.put("b", "b.png", bytes: MemoryStore.png(width: 5, height: 5))
        var ranges = 0
        store.onRequest = { [unowned self] line in
            if line.hasPrefix("HEAD b/b.png") {
                store.delete("b", "b.png")
            } else if line.hasPrefix("RANGE b/b.png") {
                ranges += 1
                guard ranges == 2 else { return }
                store.onRequest = nil
                store.delete("b", "a.png")
                otherInvocation("a.png")
            }
        }
        let result = try updater().sync(bucket: "b", keys: ["a.png", "b.png"])
        XCTAssertEqual(result.attempts, 2)
        XCTAssertEqual(result.summary, ApplySummary(added: 1, removed: 1), "a.png added, then b.png removed")
        XCTAssertEqual(try catalog().names, [])
    }

    /// The duplicates the first, kept write collapsed are in the summary, though the round that
    /// ends the sync read a version without them.
    func testDuplicatesCollapsedBeforeASettleAreReported() throws {
        store.put("b", "images.json", #"[{"name":"a.png","type":"png","size":1},{"name":"a.png","type":"png","size":1}]"#)
        store.put("b", "b.png", bytes: MemoryStore.png(width: 3, height: 3))
        store.put("b", "c.png", bytes: MemoryStore.png(width: 5, height: 5))
        store.onRequest = { [unowned self] line in
            if line.hasPrefix("HEAD b/c.png") { store.delete("b", "c.png") }
        }
        let result = try updater().sync(bucket: "b", keys: ["b.png", "c.png"])
        XCTAssertEqual(result.attempts, 2)
        XCTAssertEqual(result.summary?.duplicatesRemoved, 1)
        XCTAssertEqual(try catalog().names, ["a.png", "b.png"])
    }

    /// A key left to its new version's writer by its HEAD alone is not written again by a later
    /// round of ours (its observation is stale): here b.png sends us round, and a.png's new
    /// version is cataloged meanwhile; our second round leaves that entry alone.
    func testAKeyLeftByItsHeadIsNotWrittenAgainByALaterRound() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 2, height: 2))
        otherInvocation("a.png")
        store.put("b", "a.png", bytes: MemoryStore.png(width: 3, height: 3))
        store.put("b", "b.png", bytes: MemoryStore.png(width: 5, height: 5))
        store.beforeWrite = { [unowned self] in
            store.put("b", "a.png", bytes: MemoryStore.png(width: 4, height: 4))
            store.delete("b", "b.png")
        }
        var ranges = 0
        store.onRequest = { [unowned self] line in
            guard line.hasPrefix("RANGE b/b.png") else { return }
            ranges += 1
            if ranges == 2 { otherInvocation("a.png") }         // while we observe b.png again
        }
        let result = try updater().sync(bucket: "b", keys: ["a.png", "b.png"])
        XCTAssertEqual(result.attempts, 2)
        XCTAssertEqual(result.staleLeft, 1)
        XCTAssertEqual(try catalog().names, ["a.png"])
        XCTAssertEqual(try catalog()["a.png"]?.extra["width"]?.int64Value, 4)
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

    /// An empty object's 416 carries no ETag, so its version comes from a HEAD. Replaced by an
    /// image in between (a tool that creates the key empty, then uploads), the HEAD names the
    /// image: taken for the empty file, that version would be written as "no entry" over the
    /// image's own invocation's entry, and our re-check would find the same version and agree.
    /// The HEAD's size tells them apart: the key is read again, and the image stays cataloged.
    func testAnEmptyObjectReplacedBeforeItsHeadIsReadAgain() throws {
        store.put("b", "images.json", "[]\n")
        store.put("b", "k.png", bytes: [])
        var struck = false
        store.onRequest = { [unowned self] line in
            guard line == "HEAD b/k.png", !struck else { return }
            struck = true
            store.put("b", "k.png", bytes: MemoryStore.png(width: 5, height: 4))
            otherInvocation("k.png")
        }
        _ = try updater().sync(bucket: "b", keys: ["k.png"])
        XCTAssertTrue(struck)
        XCTAssertEqual(try catalog().names, ["k.png"])
        XCTAssertEqual(observations(), ["b/k.png", "b/k.png", "b/k.png"])
        //  ours: 416 ---------------^  the image's ^  ours again ^
    }

    /// A key replaced faster than it can be read (every read of its header cut short) is
    /// skipped, and the batch's other keys are written: each replacement brings its own event.
    /// It failed the bucket, and every record of the batch came back with it.
    func testAKeyReplacedOnEveryReadIsSkippedAndTheOthersWritten() throws {
        // A JPEG whose frame header sits behind 6,000 bytes of APP1: a second read, pinned.
        var jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE1, 0x17, 0x72] + [UInt8](repeating: 0, count: 6_000)
        jpeg += [0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0xE0, 0x02, 0x80, 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]
        store.put("b", "a.png", bytes: MemoryStore.png(width: 3, height: 2))
        store.put("b", "x.jpg", bytes: jpeg)
        var puts = 0
        store.onRequest = { [unowned self] line in
            // Every read of x.jpg past its first range finds a new version.
            guard line.hasPrefix("RANGE b/x.jpg "), line.contains("if-match") else { return }
            puts += 1
            store.put("b", "x.jpg", bytes: jpeg + [UInt8(puts)])
        }
        let result = try updater().sync(bucket: "b", keys: ["a.png", "x.jpg"])
        XCTAssertEqual(puts, 3)
        XCTAssertEqual(try catalog().names, ["a.png"])
        XCTAssertEqual(result.skipped.map(\.key), ["x.jpg"])
        XCTAssertTrue(result.skipped.first?.reason.contains("changed on every read") == true, "\(result.skipped)")
    }
}
