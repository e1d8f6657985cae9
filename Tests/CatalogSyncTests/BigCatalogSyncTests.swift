import Basics
import Catalog
import CatalogFile
import JSON
import Storage
import TestSupport
import XCTest
@testable import CatalogSync

/// The sync protocol over a catalog big enough to be read by its index and written by splicing
/// (sizes made tiny: `CatalogFile.tiny`): exact results, and the rounds a writer goes through
/// when a server lets a racing completion through, or when it must give up.
final class BigCatalogSyncTests: XCTestCase {
    let store = MemoryStore()

    func updater() -> CatalogUpdater { store.tinyUpdater() }

    /// Every sleep of the updater and of its file, in order (none taken for real).
    var slept: [Int] = []

    func updaterRecordingSleeps() -> CatalogUpdater {
        var updater = updater()
        updater.sleepMs = { [unowned self] in slept.append($0) }
        updater.layout.sleepMs = { [unowned self] in slept.append($0) }
        return updater
    }

    static func key(_ i: Int) -> String { MemoryStore.imageKey(i) }

    func preload(_ count: Int) throws { try store.preloadImages(count) }

    func names() throws -> [String] { try store.catalog().names }

    /// Syncs key 301 with `updater`, checking that it writes once and leaves that key, which its
    /// re-check found changed, to the key's new version's writer.
    func syncLeavingTheStaleKey(_ updater: CatalogUpdater, file: StaticString = #filePath, line: UInt = #line) throws {
        store.requests = []
        let result = try updater.sync(bucket: "b", keys: [Self.key(301)])
        store.onRequest = nil
        XCTAssertEqual(result.writes, 1, "\(store.requests)", file: file, line: line)
        XCTAssertEqual(result.staleLeft, 1, file: file, line: line)
    }

    /// Runs `body` once, as the first completion of the catalog is sent.
    func atFirstCompletion(_ body: @escaping () -> Void) {
        store.onRequest = { [store] line in
            guard line.hasPrefix("COMPLETE b/images.json ") else { return }
            store.onRequest = nil
            body()
        }
    }

    func testABatchIntoABigCatalogIsSplicedAndExact() throws {
        try preload(300)
        store.put("b", Self.key(300), bytes: MemoryStore.png(width: 5, height: 5))
        store.delete("b", Self.key(7))
        store.requests = []
        let result = try updater().sync(bucket: "b", keys: [Self.key(300), Self.key(7)])
        XCTAssertEqual(result.summary, ApplySummary(added: 1, removed: 1))
        XCTAssertEqual(try names(), (0...300).filter { $0 != 7 }.map(Self.key))
        XCTAssertFalse(store.requests("COPY").isEmpty, "the untouched middle is copied: \(store.requests)")
        XCTAssertTrue(store.requests("PUT b/images.json ").isEmpty, "no whole PutObject")
    }

    /// An updater that has written 300 entries and a 301st into the tail (naming and saving a
    /// prefix, and caching the version), with a 302nd image uploaded since.
    func warmUpdaterWithASavedPrefix() throws -> CatalogUpdater {
        try preload(300)
        var updater = updater()
        updater.layout.tailTarget = 1024
        updater.layout.tailMax = 8192
        store.put("b", Self.key(300), bytes: MemoryStore.png(width: 5, height: 5))
        _ = try updater.sync(bucket: "b", keys: [Self.key(300)])
        store.put("b", Self.key(301), bytes: MemoryStore.png(width: 6, height: 5))
        return updater
    }

    /// A warm writer whose keys all fall in the tail creates its upload as it starts observing
    /// them, and copies the catalog's saved prefix into it the moment the upload exists, with
    /// the first reads of their heads: neither waits for the other.
    func testAWarmWriterCopiesThePrefixWhileObservingItsKeys() throws {
        let updater = try warmUpdaterWithASavedPrefix()
        store.requests = []
        store.roundTrips = 0
        let result = try updater.sync(bucket: "b", keys: [Self.key(301)])
        XCTAssertEqual(result.summary, ApplySummary(added: 1))
        XCTAssertEqual(try names(), (0...301).map(Self.key))
        XCTAssertEqual(store.roundTrips, 6, "the upload's creation is no round trip of its own: \(store.requests)")
        let copy = try XCTUnwrap(store.requests.firstIndex { $0.hasPrefix("COPY") }, "\(store.requests)")
        let observed = try XCTUnwrap(store.requests.firstIndex { $0.hasPrefix("RANGE b/\(Self.key(301))") })
        XCTAssertEqual(observed, copy + 1, "sent together (MemoryStore logs a batch's parts, then its reads): \(store.requests)")
        XCTAssertTrue(store.requests[copy].contains("from images.json.index/prefix-"), "from the saved prefix")
        XCTAssertEqual(store.requests("COPY").count, 1)
        XCTAssertEqual(store.requests("CREATE").count, 1)
        XCTAssertTrue(store.uploads.isEmpty)
        // A key before the tail: nothing is copied ahead, the write rewrites.
        store.put("b", Self.key(3), bytes: MemoryStore.png(width: 7, height: 5))
        store.requests = []
        _ = try updater.sync(bucket: "b", keys: [Self.key(3)])
        XCTAssertTrue(store.requests[0].hasPrefix("RANGE b/\(Self.key(3))"), "\(store.requests)")
        XCTAssertEqual(try store.catalog()[Self.key(3)]?.extra["width"]?.int64Value, 7)
        XCTAssertTrue(store.uploads.isEmpty)
    }

    /// A warm writer whose early creation fails (no copy sent with it) writes all the same: the
    /// write into the tail creates the upload and copies the prefix itself, and leaves nothing.
    func testAWarmWriterWhoseEarlyCreationFailsCreatesItsUploadInTheWrite() throws {
        let updater = try warmUpdaterWithASavedPrefix()
        store.failingCreations = 1
        store.requests = []
        let result = try updater.sync(bucket: "b", keys: [Self.key(301)])
        XCTAssertEqual(result.summary, ApplySummary(added: 1))
        XCTAssertEqual(try names(), (0...301).map(Self.key))
        XCTAssertEqual(store.requests("CREATE b/images.json ").count, 2, "the early one and the write's: \(store.requests)")
        XCTAssertEqual(store.requests("COPY").count, 1, "copied once, into the write's upload")
        XCTAssertTrue(store.uploads.isEmpty)
    }

    /// A round that finds nothing to write (the key its re-check found deleted was removed by
    /// another writer meanwhile) answers without waiting for the prefix copy it started in case
    /// it would write: the copy is collected, and its upload aborted, after the answer (`settle`).
    func testARoundWithNothingToWriteDoesNotWaitForItsPrefixCopy() throws {
        let updater = try warmUpdaterWithASavedPrefix()
        var other = self.updater()
        other.layout = updater.layout
        store.defersStartedParts = true
        store.defersAborts = true
        var changed = false
        store.onRequest = { [store] line in
            guard !changed, line.hasPrefix("HEAD b/\(Self.key(301))") else { return }
            changed = true                                   // deleted, and removed by another writer
            store.delete("b", Self.key(301))
            _ = try? other.sync(bucket: "b", keys: [Self.key(301)])
        }
        store.requests = []
        let settled = store.settled
        let result = try updater.sync(bucket: "b", keys: [Self.key(301)])
        store.onRequest = nil
        XCTAssertEqual(result.attempts, 2)
        XCTAssertNil(try store.catalog()[Self.key(301)])
        XCTAssertEqual(store.settled, settled + 3, "at the start of this sync and of the other writer's, and between the rounds (not after the last)")
        XCTAssertEqual(store.toAbort.count, 1, "the second round's upload: \(store.requests)")
        let copies = store.requests("COPY").count
        _ = try updater.sync(bucket: "other", keys: [])         // the next bucket of the same event settles first
        XCTAssertEqual(store.requests("COPY").count, copies + 1, "its copy is collected at settle, before the abort")
        let copied = try XCTUnwrap(store.requests.lastIndex { $0.hasPrefix("COPY") })
        XCTAssertEqual(store.requests[copied + 1].prefix(5), "ABORT", "\(store.requests)")
        XCTAssertTrue(store.uploads.isEmpty)
    }

    /// A warm writer whose keys fall in the tail of the version it knows does not read the
    /// catalog first: its read of the tail tells which version is current, and that version's
    /// index is read while the tail goes up. Here another process wrote into the tail meanwhile.
    func testAWarmWriterWritesIntoTheTailWithoutReadingTheCatalogFirst() throws {
        let updater = try warmUpdaterWithASavedPrefix()
        var other = self.updater()
        other.layout = updater.layout
        store.put("b", Self.key(302), bytes: MemoryStore.png(width: 4, height: 5))
        _ = try other.sync(bucket: "b", keys: [Self.key(302)])
        store.requests = []
        let settled = store.settled
        let result = try updater.sync(bucket: "b", keys: [Self.key(301)])
        XCTAssertEqual(result.summary, ApplySummary(added: 1))
        XCTAssertEqual(result.attempts, 1)
        XCTAssertEqual(result.lostWrites, 0)
        XCTAssertEqual(try names(), (0...302).map(Self.key))
        let reads = store.requests("RANGE b/images.json ")
        XCTAssertEqual(reads.count, 1, "the tail alone, no probe of the version: \(store.requests)")
        XCTAssertEqual(store.requests("RANGE b/images.json.index/").count, 1, "the new version's index, with the tail's part")
        XCTAssertTrue(store.uploads.isEmpty)
        XCTAssertEqual(store.settled, settled + 1, "at the sync's start only: the replaced version's index is deleted in the background, collected after the answer (`LambdaHandler.afterAnswer`)")
        XCTAssertGreaterThan(store.backgroundDeletes, 0)
    }

    /// A warm writer whose known version was replaced by one whose index is missing (its writer
    /// died before writing it) does not loop over the version it knew: after the conflict, it
    /// reads the current version (indexing it again) and writes.
    func testAWarmWriterOverAVersionWithNoIndexReadsItAfterTheConflict() throws {
        var updater = try warmUpdaterWithASavedPrefix()
        updater.layout.sleepMs = { _ in }
        var other = self.updater()
        other.layout = updater.layout
        store.put("b", Self.key(302), bytes: MemoryStore.png(width: 4, height: 5))
        _ = try other.sync(bucket: "b", keys: [Self.key(302)])
        let current = try XCTUnwrap(store.object("b", "images.json")).etag
        store.delete("b", updater.layout.indexKey(current))
        let result = try updater.sync(bucket: "b", keys: [Self.key(301)])
        XCTAssertEqual(result.summary, ApplySummary(added: 1))
        XCTAssertEqual(result.attempts, 2, "one conflict, then a round that reads")
        XCTAssertEqual(try names(), (0...302).map(Self.key))
        XCTAssertTrue(store.uploads.isEmpty)
    }

    /// A warm writer whose catalog was deleted meanwhile reads that there is none, and writes one.
    func testAWarmWriterWhoseCatalogWasDeletedWritesANewOne() throws {
        let updater = try warmUpdaterWithASavedPrefix()
        store.delete("b", "images.json")
        let result = try updater.sync(bucket: "b", keys: [Self.key(301)])
        XCTAssertEqual(result.summary, ApplySummary(added: 1))
        XCTAssertEqual(result.lostWrites, 0)
        XCTAssertEqual(try names(), [Self.key(301)])
        XCTAssertTrue(store.uploads.isEmpty)
    }

    /// A warm writer whose known version was rewritten since (another layout: the tail it reads
    /// is not one after its prefix) reads the current version and writes: not a lost write, no
    /// backoff.
    func testAWarmWriterWhoseVersionWasRewrittenReadsItAfreshWithoutBackingOff() throws {
        var updater = try warmUpdaterWithASavedPrefix()
        updater.sleepMs = { [unowned self] in slept.append($0) }
        updater.layout.sleepMs = { [unowned self] in slept.append($0) }
        var other = self.updater()
        other.layout = updater.layout
        store.put("b", Self.key(3), bytes: MemoryStore.png(width: 7, height: 5))
        _ = try other.sync(bucket: "b", keys: [Self.key(3)])
        XCTAssertNil(try updater.file("b").current().index.prefix, "a rewrite before the tail names no prefix")
        store.requests = []
        let result = try updater.sync(bucket: "b", keys: [Self.key(301)])
        XCTAssertEqual(result.summary, ApplySummary(added: 1))
        XCTAssertEqual(result.lostWrites, 0, "\(store.requests)")
        XCTAssertEqual(result.attempts, 2, "the tail's read, then a round that reads the version")
        XCTAssertFalse(store.requests[0].hasPrefix("RANGE b/images.json 0-"), "no probe first: \(store.requests)")
        XCTAssertEqual(slept, [])
        XCTAssertEqual(try names(), (0...301).map(Self.key))
        XCTAssertEqual(try store.catalog()[Self.key(3)]?.extra["width"]?.int64Value, 7)
        XCTAssertTrue(store.uploads.isEmpty)
    }

    /// A key found changed at the re-check, whose HEAD already says the writer goes round (it
    /// added the key, now deleted), is observed again with the next write's prefix copied in the
    /// same round trip, as for the first write.
    func testAKeyObservedAgainHasTheNextPrefixCopiedBesideIt() throws {
        let updater = try warmUpdaterWithASavedPrefix()
        atFirstCompletion { [store] in store.delete("b", Self.key(301)) }   // deleted after it was observed
        store.requests = []
        let result = try updater.sync(bucket: "b", keys: [Self.key(301)])
        XCTAssertEqual(result.writes, 2, "\(store.requests)")
        XCTAssertNil(try store.catalog()[Self.key(301)])
        let reads = store.requests.indices.filter { store.requests[$0].hasPrefix("RANGE b/\(Self.key(301))") }
        XCTAssertEqual(reads.count, 2)
        for read in reads {
            XCTAssertTrue(store.requests[read - 1].hasPrefix("COPY b/images.json #1 from images.json.index/prefix-"), "\(store.requests)")
        }
        XCTAssertTrue(store.uploads.isEmpty)
    }

    /// A round its HEAD said was needed (the key it added, deleted) but its observation said was
    /// not (uploaded again meanwhile, an image): the prefix copy sent beside that observation is
    /// aborted after the answer, not waited for.
    func testACopySentForARoundNotNeededIsAbortedAfterTheAnswer() throws {
        let updater = try warmUpdaterWithASavedPrefix()
        store.defersStartedParts = true
        store.defersAborts = true
        var completed = false, observed = 0
        store.onRequest = { [store] line in
            if line.hasPrefix("COMPLETE b/images.json ") && !completed {
                completed = true
                store.delete("b", Self.key(301))
            } else if line.hasPrefix("RANGE b/\(Self.key(301))") {
                observed += 1
                if observed == 2 { store.put("b", Self.key(301), bytes: MemoryStore.png(width: 8, height: 5)) }
            }
        }
        try syncLeavingTheStaleKey(updater)
        XCTAssertEqual(store.requests("CREATE").count, 2, "the second upload, for the round not taken")
        XCTAssertEqual(store.toAbort.count, 1, "its abort waits for the answer: \(store.requests)")
        store.settle()
        XCTAssertTrue(store.uploads.isEmpty)
    }

    /// A writer that must give up with a round's prefix copy sent (the key it added, deleted:
    /// no round left) answers with its error first: the copy is collected and its upload
    /// aborted after the answer.
    func testAWriterThatGivesUpAbortsTheCopyItSentAfterTheAnswer() throws {
        var updater = try warmUpdaterWithASavedPrefix()
        updater.maxAttempts = 1
        store.defersStartedParts = true
        store.defersAborts = true
        store.onRequest = { [store] line in
            if line.hasPrefix("HEAD b/\(Self.key(301))") { store.delete("b", Self.key(301)) }
        }
        store.requests = []
        XCTAssertThrowsError(try updater.sync(bucket: "b", keys: [Self.key(301)]))
        store.onRequest = nil
        XCTAssertEqual(store.requests("CREATE").count, 2, "the next round's upload: \(store.requests)")
        XCTAssertEqual(store.toAbort.count, 1, "aborted after the answer: \(store.requests)")
        XCTAssertNotNil(store.toAbort.first?.after, "its copy was started, and is collected first")
        store.settle()
        XCTAssertTrue(store.uploads.isEmpty)
    }

    /// A key found changed at the re-check whose write may not have replaced its new version's
    /// entry (it added the key, now uploaded again) is observed again before any copy is sent:
    /// an image, so the writer answers, with no prefix copy left to collect or abort.
    func testAKeyLeftToItsNewVersionsWriterSendsNoPrefixCopy() throws {
        let updater = try warmUpdaterWithASavedPrefix()
        atFirstCompletion { [store] in store.put("b", Self.key(301), bytes: MemoryStore.png(width: 8, height: 5)) }
        try syncLeavingTheStaleKey(updater)
        XCTAssertEqual(store.requests("RANGE b/\(Self.key(301))").count, 2, "observed again")
        XCTAssertEqual(store.requests("COPY").count, 1, "the first write's only: \(store.requests)")
        XCTAssertEqual(store.requests("CREATE").count, 1)
        XCTAssertTrue(store.uploads.isEmpty)
        _ = try self.updater().sync(bucket: "b", keys: [Self.key(301)])   // the new version's event
        XCTAssertEqual(try store.catalog()[Self.key(301)]?.extra["width"]?.int64Value, 8)
    }

    /// A server whose conditional completion is not atomic lets a racing writer's completion land
    /// after ours: our version is lost though we were told it won. The writer finds it when it
    /// walks the current version's ancestry, and writes again.
    func testACompletionLostToARaceIsFoundAndWrittenAgain() throws {
        try preloadWithARacingCompletion()
        store.put("b", Self.key(150), bytes: MemoryStore.png(width: 7, height: 7))
        let result = try updater().sync(bucket: "b", keys: [Self.key(150)])
        XCTAssertEqual(result.attempts, 2, "the lost round is written again")
        let catalog = try store.catalog()
        XCTAssertEqual(catalog[Self.key(150)]?.extra["width"]?.int64Value, 7)
        XCTAssertNotNil(catalog[Self.key(999)], "the racer's entry is kept too")
    }

    /// A write whose stale keys are all left to their new versions' writers still checks that
    /// its version was kept: here a racing completion replaced it, and its other key is written
    /// again.
    func testAWriteWithOnlyStaleKeysLeftToOthersStillChecksItWasKept() throws {
        try preloadWithARacingCompletion { [store] in
            store.put("b", Self.key(150), bytes: MemoryStore.png(width: 8, height: 8))   // its event not applied yet
        }
        store.put("b", Self.key(150), bytes: MemoryStore.png(width: 7, height: 7))
        store.put("b", Self.key(301), bytes: MemoryStore.png(width: 5, height: 5))
        let result = try updater().sync(bucket: "b", keys: [Self.key(150), Self.key(301)])
        XCTAssertEqual(result.lostWrites, 1)
        XCTAssertEqual(result.staleLeft, 1)
        let catalog = try store.catalog()
        XCTAssertNotNil(catalog[Self.key(301)], "the other key, written again")
        XCTAssertNotNil(catalog[Self.key(999)], "the racer's entry is kept too")
    }

    /// A write that goes round for a key (deleted before its re-check) but was lost to a racing
    /// completion settles none of its keys: the next round applies them all again.
    func testAWriteLostToARaceWhileGoingRoundKeepsAllItsKeys() throws {
        try preloadWithARacingCompletion()
        store.put("b", Self.key(301), bytes: MemoryStore.png(width: 5, height: 5))
        store.put("b", Self.key(302), bytes: MemoryStore.png(width: 6, height: 6))
        store.onRequest = { [store] line in
            if line.hasPrefix("HEAD b/\(Self.key(302))") { store.delete("b", Self.key(302)) }
        }
        let result = try updater().sync(bucket: "b", keys: [Self.key(301), Self.key(302)])
        store.onRequest = nil
        XCTAssertEqual(result.lostWrites, 1)
        let catalog = try store.catalog()
        XCTAssertNotNil(catalog[Self.key(301)], "written again")
        XCTAssertNil(catalog[Self.key(302)])
        XCTAssertNotNil(catalog[Self.key(999)])
    }

    /// A 300-entry catalog on a server whose completions are not atomic: right after the next
    /// completion, a racing writer over the same version, adding another image, completes too
    /// (the server let it through after ours), then `also` runs.
    func preloadWithARacingCompletion(also: @escaping () -> Void = {}) throws {
        try preload(300)
        store.completionsAreAtomic = false
        let base = try XCTUnwrap(store.object("b", "images.json"))
        store.racingCompletion = { [unowned self] _, _ in
            race(over: base)
            also()
        }
    }

        /// What a racing writer over `base` completes, adding entry 999: the catalog and its index
    /// (`MemoryStore.racingCompletion`, or by hand).
    func race(over base: MemoryStore.Object) {
        let run = try! EntryRun(base.bytes, atFileStart: true, atFileEnd: true)
        var (_, writer) = CatalogMerge.apply([.exists(CatalogEntry(name: Self.key(999), type: "png", size: 1))], to: run,
                                             policy: .merge, blockTarget: 256)
        let index = writer.blocks
        let bytes = writer.drain()
        store.put("b", "images.json", bytes: bytes)
        let etag = store.object("b", "images.json")!.etag
        store.put("b", updater().layout.indexKey(etag),
                  bytes: CatalogIndex(etag: etag, size: Int64(bytes.count), blocks: index, types: ["png"], parent: base.etag).serialized())
    }

    /// Keys a writer carried for others are written again when its version is lost to a racing
    /// completion: their writers may have found them in the lost version and answered.
    func testKeysCarriedIntoALostVersionAreWrittenAgain() throws {
        try preload(300)
        store.completionsAreAtomic = false
        let base = try XCTUnwrap(store.object("b", "images.json"))
        store.put("b", Self.key(301), bytes: MemoryStore.png(width: 4, height: 4))
        let left = try XCTUnwrap(store.object("b", Self.key(301)))
        let observed = ObservedKey(key: Self.key(301), version: ObjectVersion(etag: left.etag, lastModified: left.lastModified),
                                   entry: CatalogEntry(name: Self.key(301), type: "image/png", size: Int64(left.bytes.count)))
        let handover = Handover.key(catalog: "images.json", atMs: SystemClock.epochMilliseconds(), nonce: 1)
        store.put("b", handover, bytes: Handover([observed]).serialized())
        store.racingCompletion = { [unowned self] _, _ in
            race(over: base)
            store.delete("b", handover)                      // its writer found 301 in, and answered
        }
        store.put("b", Self.key(150), bytes: MemoryStore.png(width: 7, height: 7))
        let result = try updater().sync(bucket: "b", keys: [Self.key(150)])
        XCTAssertEqual(result.lostWrites, 1)
        let catalog = try store.catalog()
        XCTAssertNotNil(catalog[Self.key(301)], "the carried key, written again")
        XCTAssertNotNil(catalog[Self.key(150)])
        XCTAssertNotNil(catalog[Self.key(999)])
    }

    /// A write that may have landed (its completion's answer lost, on a store whose ETags cannot
    /// be predicted), on a server whose completions are not atomic: the next round finds its
    /// entry in place, and checks that the version holding it was kept, as a writer whose changes
    /// another carried does. Here a racing completion over the version before replaced it while
    /// the key was re-checked: written again.
    func testAMaybeLandedWriteFoundInPlaceChecksThatItsVersionWasKept() throws {
        try preload(300)
        store.completionsAreAtomic = false
        store.predictsETags = false
        let base = try XCTUnwrap(store.object("b", "images.json"))
        store.put("b", Self.key(150), bytes: MemoryStore.png(width: 5, height: 5))   // 7 before
        store.lostAnswers = 1
        store.onRequest = { [unowned self] line in
            guard line.hasPrefix("HEAD b/\(Self.key(150))") else { return }
            store.onRequest = nil
            race(over: base)
        }
        let result = try updater().sync(bucket: "b", keys: [Self.key(150)])
        XCTAssertEqual(result.lostWrites, 1)
        XCTAssertEqual(result.attempts, 3, "lost (it landed), found in place but replaced, written")
        let catalog = try store.catalog()
        XCTAssertEqual(catalog[Self.key(150)]?.extra["width"]?.int64Value, 5)
        XCTAssertNotNil(catalog[Self.key(999)])
    }

    /// The same with a key the lost write carried for another writer, who found it in the version
    /// that landed and answered (its handover gone): written again too.
    func testAKeyCarriedIntoAMaybeLandedVersionThatIsReplacedIsWrittenAgain() throws {
        let result = try syncCarryingIntoAMaybeLandedVersion()
        XCTAssertEqual(result.attempts, 3, "lost (it landed), found in place but replaced, written")
        let catalog = try store.catalog()
        XCTAssertNotNil(catalog[Self.key(301)], "the carried key, written again")
        XCTAssertEqual(catalog[Self.key(150)]?.extra["width"]?.int64Value, 5)
        XCTAssertNotNil(catalog[Self.key(999)])
    }

    /// The same when the re-check also finds one of its own keys uploaded again: the round that
    /// goes round for it writes the carried key again too.
    func testAKeyCarriedIntoAMaybeLandedVersionIsWrittenAgainByTheRoundThatGoesRound() throws {
        _ = try syncCarryingIntoAMaybeLandedVersion { [store] in
            store.put("b", Self.key(150), bytes: MemoryStore.png(width: 6, height: 6))
        }
        let catalog = try store.catalog()
        XCTAssertNotNil(catalog[Self.key(301)], "the carried key, written again")
        XCTAssertEqual(catalog[Self.key(150)]?.extra["width"]?.int64Value, 6)
        XCTAssertNotNil(catalog[Self.key(999)])
    }

    /// A 300-entry catalog (its version returned) on a server whose completions are not atomic and
    /// whose ETags cannot be predicted; key 150 uploaded again (5×5; 7 wide before), key 301 in
    /// another writer's handover (returned), and the next completion to land with its answer lost.
    func prepareAMaybeLandedWriteCarrying301() throws -> (base: MemoryStore.Object, handover: String) {
        try preload(300)
        store.completionsAreAtomic = false
        store.predictsETags = false
        let base = try XCTUnwrap(store.object("b", "images.json"))
        let handover = try leaveHandover(of: 301)
        store.put("b", Self.key(150), bytes: MemoryStore.png(width: 5, height: 5))
        store.lostAnswers = 1
        return (base, handover)
    }

    /// Syncs key 150 as prepared above, carrying 301. That other writer, finding 301 in the
    /// landed version, answers (its handover gone). At the re-check of 150, `alsoAtRecheck`
    /// runs, then a racing completion over the version before replaces the catalog.
    func syncCarryingIntoAMaybeLandedVersion(alsoAtRecheck: @escaping () -> Void = {}) throws -> BucketSyncResult {
        let (base, handover) = try prepareAMaybeLandedWriteCarrying301()
        store.onRequest = { [unowned self, store] line in
            if line.hasPrefix("COMPLETE b/images.json ") { store.delete("b", handover) }
            guard line.hasPrefix("HEAD b/\(Self.key(150))") else { return }
            store.onRequest = nil
            alsoAtRecheck()
            race(over: base)
        }
        return try updater().sync(bucket: "b", keys: [Self.key(150)])
    }

    /// And when the next round writes (its key uploaded again and cataloged by another writer
    /// since) and that write is lost to a racing completion: the keys its maybe-landed write
    /// carried are written again, not only those this write changed.
    func testAKeyCarriedIntoAMaybeLandedVersionIsWrittenAgainWhenTheNextWriteIsLost() throws {
        let (base, handover) = try prepareAMaybeLandedWriteCarrying301()
        var step = 0
        store.onRequest = { [unowned self, store] line in
            if step == 0 && line.hasPrefix("ABORT b/images.json") {        // after our lost (landed) completion
                step = 1
                store.delete("b", handover)                                  // its writer finds 301 in, and answers
                store.put("b", Self.key(150), bytes: MemoryStore.png(width: 6, height: 6))
                _ = try? updater().sync(bucket: "b", keys: [Self.key(150)])
                step = 2
            } else if step == 2 && line.hasPrefix("HEAD b/\(Self.key(150))") {   // our next write's re-check
                step = 3
                race(over: base)
            }
        }
        let result = try updater().sync(bucket: "b", keys: [Self.key(150)])
        XCTAssertEqual(step, 3, "the next round wrote, and re-checked")
        XCTAssertEqual(result.lostWrites, 2, "the landed one, and the next")
        let catalog = try store.catalog()
        XCTAssertNotNil(catalog[Self.key(301)], "the carried key, written again")
        XCTAssertEqual(catalog[Self.key(150)]?.extra["width"]?.int64Value, 6)
        XCTAssertNotNil(catalog[Self.key(999)])
    }

    /// Key `i` uploaded (4×4), and a handover left beside the catalog by a writer observing it.
    func leaveHandover(of i: Int, nonce: UInt64 = 1) throws -> String {
        store.put("b", Self.key(i), bytes: MemoryStore.png(width: 4, height: 4))
        let left = try XCTUnwrap(store.object("b", Self.key(i)))
        let observed = ObservedKey(key: Self.key(i), version: ObjectVersion(etag: left.etag, lastModified: left.lastModified),
                                   entry: CatalogEntry(name: Self.key(i), type: "image/png", size: Int64(left.bytes.count)))
        let handover = Handover.key(catalog: "images.json", atMs: SystemClock.epochMilliseconds(), nonce: nonce)
        store.put("b", handover, bytes: Handover([observed]).serialized())
        return handover
    }

    /// A writer whose changes another writer carried, on a server whose completions are not
    /// atomic, checks that the version it found them in was kept: here a racing completion
    /// replaced it, and the writer writes them itself.
    func testAWriterFindsTheVersionThatCarriedItsChangesLostAndWrites() throws {
        try preload(300)
        store.completionsAreAtomic = false
        let base = try XCTUnwrap(store.object("b", "images.json"))
        let earlier = try store.startUpload(bucket: "b", key: "images.json", contentType: "application/json")
        var looks = 0
        store.onRequest = { [store, unowned self] line in
            if line.hasPrefix("UPLOADS") {
                looks += 1
                guard looks == 3 else { return }
                // The writer ahead completes with what this one left.
                _ = try? store.abortUpload(bucket: "b", key: "images.json", uploadID: earlier)
                let key = try? store.listPage(bucket: "b", prefix: "images.json.waiting/", startAfter: nil, maxKeys: 10).objects.first?.key
                let left = Handover(parsing: store.object("b", key!)!.bytes)!.observed
                let carrier = updater().file("b")
                _ = try? carrier.write(left.map(\.observation), over: carrier.current(), policy: EntryBuilder.policy)
            } else if looks >= 3 && (line.hasPrefix("HEAD") || line.hasPrefix("LIST b images/")) {
                // Its re-check: meanwhile a racing completion over the old version lands.
                store.onRequest = nil
                race(over: base)
            }
        }
        store.put("b", Self.key(150), bytes: MemoryStore.png(width: 7, height: 7))
        let result = try updater().sync(bucket: "b", keys: [Self.key(150)], deadline: .after(milliseconds: 60_000))
        XCTAssertEqual(result.writes, 1, "written by itself after all")
        let catalog = try store.catalog()
        XCTAssertEqual(catalog[Self.key(150)]?.extra["width"]?.int64Value, 7)
        XCTAssertNotNil(catalog[Self.key(999)])
    }

    /// A writer that waited for an earlier writer's upload goes round at once, over the version
    /// that writer published: a turn taken is neither a lost write nor followed by a backoff.
    func testAWriterThatWaitedItsTurnGoesRoundAtOnceOverTheNewVersion() throws {
        try preload(300)
        let updater = updaterRecordingSleeps()
        let other = updater.file("b")
        let base = try other.current()
        let earlier = try store.startUpload(bucket: "b", key: "images.json", contentType: "application/json")
        var looks = 0
        store.onRequest = { [store] line in
            guard line.hasPrefix("UPLOADS") else { return }
            looks += 1
            guard looks == 3 else { return }
            _ = try? store.abortUpload(bucket: "b", key: "images.json", uploadID: earlier)
            store.put("b", Self.key(999), bytes: MemoryStore.png(width: 2, height: 2))
            _ = try? other.write([.exists(CatalogEntry(name: Self.key(999), type: "png", size: 1))], over: base, policy: .merge)
        }
        store.put("b", Self.key(150), bytes: MemoryStore.png(width: 7, height: 7))
        let result = try updater.sync(bucket: "b", keys: [Self.key(150)], deadline: .after(milliseconds: 60_000))
        XCTAssertEqual(result.attempts, 2)
        XCTAssertEqual(result.lostWrites, 0, "a turn taken is not a lost write")
        XCTAssertEqual(result.writes, 1)
        XCTAssertEqual(result.turnWaitMs, 250)
        XCTAssertEqual(slept, [100, 150, 100], "no backoff after the wait: a jitter of at most 100 ms (the test's random gives its most)")
        let catalog = try store.catalog()
        XCTAssertEqual(catalog[Self.key(150)]?.extra["width"]?.int64Value, 7)
        XCTAssertNotNil(catalog[Self.key(999)], "the earlier writer's entry is kept")
    }

    /// A writer never waits for others into the time its own write needs (twice the longest
    /// round so far): with 3 s left after losing a 3 s round, it writes at once rather than wait
    /// its turn and then find no time to write.
    func testAWriterKeepsTheTimeItsOwnWriteNeeds() throws {
        try preload(300)
        var clock: Int64 = 0
        var updater = updater()
        updater.nowMs = { clock }
        updater.random = { _ in 0 }
        updater.sleepMs = { clock += Int64($0) }
        updater.layout.sleepMs = { clock += Int64($0) }
        updater.layout.nowMs = { clock }
        var completes = 0, looks = 0
        store.onRequest = { [store] line in
            if line.hasPrefix("COMPLETE") {
                completes += 1
                clock += 3_000                               // a write's copy and completion take 3 s
                if completes == 1 {
                    store.forcedConflicts = 1                // the first is lost, and another writer is at work
                    _ = try? store.startUpload(bucket: "b", key: "images.json", contentType: "application/json")
                }
            }
            if line.hasPrefix("UPLOADS") { looks += 1 }
        }
        store.put("b", Self.key(150), bytes: MemoryStore.png(width: 7, height: 7))
        let result = try updater.sync(bucket: "b", keys: [Self.key(150)], deadline: Deadline(epochMilliseconds: 6_050))
        XCTAssertEqual(result.attempts, 2)
        XCTAssertEqual(result.lostWrites, 1)
        XCTAssertEqual(result.turnWaitMs, 0)
        XCTAssertEqual(looks, 1, "the first round looked; the second had no time to wait, and did not look")
        XCTAssertEqual(try store.catalog()[Self.key(150)]?.extra["width"]?.int64Value, 7)
    }

    /// An upload left by a writer that died (its abort could not be sent): an invocation waits
    /// for it once, as long as it may, then writes; the process stops waiting for it once it has
    /// waited `turnWaitLimitMs` for it in all.
    func testAProcessStopsWaitingForAnUploadWhoseWriterDied() throws {
        try preload(300)
        var updater = updaterRecordingSleeps()
        updater.layout.turnWaitLimitMs = 400
        _ = try store.startUpload(bucket: "b", key: "images.json", contentType: "application/json")
        for (i, width) in [(150, 7), (151, 8)].enumerated() {
            store.put("b", Self.key(width.0), bytes: MemoryStore.png(width: width.1, height: 7))
            let result = try updater.sync(bucket: "b", keys: [Self.key(width.0)], deadline: .after(milliseconds: 60_000))
            XCTAssertEqual(result.attempts, 2, "sync \(i): waited, then wrote without waiting again")
            XCTAssertEqual(result.turnWaitMs, 250, "sync \(i)")
            XCTAssertEqual(result.lostWrites, 0)
            XCTAssertEqual(try store.catalog()[Self.key(width.0)]?.extra["width"]?.int64Value, Int64(width.1))
        }
        slept = []
        store.put("b", Self.key(152), bytes: MemoryStore.png(width: 9, height: 9))
        let third = try updater.sync(bucket: "b", keys: [Self.key(152)], deadline: .after(milliseconds: 60_000))
        XCTAssertEqual(third.attempts, 1, "500 ms waited for it in all: dead")
        XCTAssertEqual(third.turnWaitMs, 0)
        XCTAssertEqual(slept, [])
    }

    /// A writer that must give up with keys its re-check found changed leaves them to the next
    /// reconcile, which observes them first.
    func testKeysAWriterCouldNotConfirmAreLeftToTheReconcile() throws {
        try preload(300)
        store.put("b", Self.key(342), bytes: MemoryStore.png(width: 3, height: 3))
        var updater = updater()
        updater.maxAttempts = 1
        // The re-check of key 342, which the write added, finds it deleted: the write may have
        // replaced its current version's (no) entry.
        store.onRequest = { [store] line in
            if line.hasPrefix("HEAD b/\(Self.key(342))") { store.delete("b", Self.key(342)) }
        }
        let settled = store.settled
        XCTAssertThrowsError(try updater.sync(bucket: "b", keys: [Self.key(342)]))
        XCTAssertEqual(store.settled, settled + 1, "at the sync's start only: deletes in flight are collected after the answer, an error's too")
        store.onRequest = nil
        let state = ReconcileState(parsing: try XCTUnwrap(store.object("b", "images.json.reconcile")).bytes)
        XCTAssertEqual(state.suspects, [Self.key(342)])
        XCTAssertNotNil(try store.catalog()[Self.key(342)], "written, unconfirmed")
        let result = try self.updater().reconcile(bucket: "b")
        XCTAssertNil(try store.catalog()[Self.key(342)])
        XCTAssertTrue(ReconcileState(parsing: store.object("b", "images.json.reconcile")!.bytes).suspects.isEmpty)
        XCTAssertEqual(result.complete, true)
    }

    /// The reconcile deletes what the catalog's `.index/` folder holds that nothing needs, once it
    /// is an hour old: a saved prefix no index names (its writer died) and the index of a version
    /// replaced long ago. The current version's index and the prefix it names stay, however old,
    /// and so does anything younger (a prefix being saved for a version not yet published).
    func testTheReconcileDropsLeftoversBesideTheCatalog() throws {
        var updater = try warmUpdaterWithASavedPrefix()
        store.put("b", "images.json.index/0123456789abcdef0123456789abcdef-2", "{}")
        store.put("b", "images.json.index/prefix-dead", bytes: Array(repeating: 0x20, count: 100))
        let judged = try XCTUnwrap(UTCTime.epochMilliseconds(iso8601: store.object("b", "images.json.index/prefix-dead")!.lastModified))
        store.put("b", "images.json.index/prefix-young", bytes: Array(repeating: 0x20, count: 100))
        updater.nowMs = { judged + updater.leftoverAgeMs }
        updater.leftoverDeletesPerRun = 1
        XCTAssertEqual(try updater.reconcile(bucket: "b").leftoversDropped, 1, "bounded per run")
        updater.leftoverDeletesPerRun = 100
        let result = try updater.reconcile(bucket: "b")
        XCTAssertEqual(result.leftoversDropped, 1, "the rest, the next run")
        let current = try XCTUnwrap(store.object("b", "images.json"))
        let index = try XCTUnwrap(CatalogIndex(parsing: try XCTUnwrap(store.object("b", "images.json.index/" + current.etag)).bytes))
        let named = try XCTUnwrap(index.prefix)
        XCTAssertEqual(try store.listPage(bucket: "b", prefix: "images.json.index/", startAfter: nil, maxKeys: 1000).objects.map(\.key).sorted(),
                       ["images.json.index/" + current.etag, CatalogFile.prefixKey(named, of: "images.json"), "images.json.index/prefix-young"].sorted())
        XCTAssertEqual(try names(), (0...301).map(Self.key))
        // The next write into the tail still copies the prefix from where it is saved.
        store.put("b", Self.key(302), bytes: MemoryStore.png(width: 4, height: 4))
        store.requests = []
        _ = try updater.sync(bucket: "b", keys: [Self.key(302)])
        XCTAssertTrue(store.requests.contains { $0.hasPrefix("COPY b/images.json #1 from images.json.index/prefix-") && $0.hasSuffix("200") },
                      "\(store.requests)")
        XCTAssertEqual(try names(), (0...302).map(Self.key))
    }

    /// The reconcile of a big catalog reads it block by block beside the listing, never whole,
    /// and writes what it finds in batches.
    func testTheReconcileOfABigCatalogReadsBlocksNotTheWholeFile() throws {
        try preload(600)
        for i in stride(from: 0, to: 600, by: 50) { store.delete("b", Self.key(i)) }                         // lost deletes
        for i in 600..<620 { store.put("b", Self.key(i), bytes: MemoryStore.png(width: 1, height: 1)) }      // lost uploads
        store.put("b", Self.key(333), bytes: MemoryStore.png(width: 8, height: 8))                           // a lost update
        store.requests = []
        var updater = updater()
        updater.reconcilePageSize = 100
        let result = try updater.reconcile(bucket: "b")
        XCTAssertEqual(result.summary?.added, 20)
        XCTAssertEqual(result.summary?.removed, 12)
        XCTAssertEqual(result.summary?.updated, 1)
        XCTAssertEqual(try names(), (0..<620).filter { $0 >= 600 || $0 % 50 != 0 }.map(Self.key))
        let catalogReads = store.requests("RANGE b/images.json ").map { $0.split(separator: " ")[2].split(separator: "-").map { Int($0)! } }
        // A page of 100 keys covers ~14 KB of entries: no read is bigger than a page's entries and
        // their blocks, however big the catalog (83 KB here).
        XCTAssertTrue(catalogReads.allSatisfy { $0[1] - $0[0] < 16_000 }, "no read of the whole catalog: \(catalogReads)")
    }

    /// A write that lands while the reconcile reads the blocks of a page makes it read that page
    /// again in the new version: it neither skips the page nor calls itself complete without it.
    func testAWriteDuringTheReconcilesBlockReadsMakesItReadThePageAgain() throws {
        try preload(300)
        for i in 294..<300 { store.delete("b", Self.key(i)) }                        // lost deletes, on the last page
        store.put("b", Self.key(400), bytes: MemoryStore.png(width: 3, height: 3))
        let store = self.store, writer = updater()
        store.onRequest = { line in
            guard line.hasPrefix("RANGE b/images.json "), line.contains("if-match") else { return }
            store.onRequest = nil
            _ = try? writer.sync(bucket: "b", keys: [Self.key(400)])                   // another writer, mid-read
        }
        let result = try updater().reconcile(bucket: "b")
        XCTAssertEqual(result.complete, true)
        XCTAssertEqual(result.summary?.removed, 6, "the stale entries of the page read again")
        XCTAssertEqual(try names(), ((0..<294).map(Self.key) + [Self.key(400)]))
        XCTAssertNil(store.onRequest, "the concurrent write happened")
    }

    /// S3 may answer a listing page with no objects that says more follow (a stretch it
    /// skipped); the walk goes on from its token. It stopped there, and since it starts again
    /// where it last stopped, every run stopped at the same page: the rest of the bucket was never
    /// reconciled. Here a stale entry and a missing one lie past the empty pages.
    func testAnEmptyPageThatSaysMoreFollowIsListedPastByItsToken() throws {
        try preload(300)
        store.delete("b", Self.key(250))
        store.put("b", Self.key(299) + "x", bytes: MemoryStore.png(width: 2, height: 2))
        store.emptyTruncatedPages = 2
        var updater = updater()
        updater.reconcilePageSize = 100
        let result = try updater.reconcile(bucket: "b")
        XCTAssertEqual(result.complete, true)
        XCTAssertEqual(result.summary?.removed, 1)
        XCTAssertEqual(result.summary?.added, 1)
        XCTAssertEqual(try names(), (0..<300).filter { $0 != 250 }.map(Self.key) + [Self.key(299) + "x"])
        XCTAssertEqual(store.requests.filter { $0.hasPrefix("LIST b ") && !$0.hasPrefix("LIST b images") }, [
            "LIST b -> 200, empty, truncated", "LIST b token 1: -> 200, empty, truncated", "LIST b token 2: -> 200",
            "LIST b after \(Self.key(97)) -> 200", "LIST b after \(Self.key(197)) -> 200", "LIST b after \(Self.key(298)) -> 200",
        ], "past the empty pages by their tokens, then after the last key of each page")
    }

    /// An empty page that says more follow and gives no token has nothing to go on from: the run
    /// stops there, and removes nothing. Taken as the end, every entry past it looked gone.
    func testAnEmptyTruncatedPageWithoutATokenStopsTheRunAndRemovesNothing() throws {
        try preload(300)
        store.emptyTruncatedPages = 1
        store.emptyPagesGiveTokens = false
        let result = try updater().reconcile(bucket: "b")
        XCTAssertEqual(result.complete, false)
        XCTAssertEqual(result.summary?.removed, 0)
        XCTAssertEqual(result.writes, 0)
        XCTAssertEqual(try names(), (0..<300).map(Self.key))
        XCTAssertEqual(try updater().reconcile(bucket: "b").complete, true, "the next run lists again")
    }

    /// After a write in the middle of a page (its batch flushed), the page's entries come from
    /// a version newer than its listing: an entry another writer added since is not listed, and
    /// a HEAD, not the listing, says whether it is gone. It was removed, then added back.
    func testAnEntryAddedAfterAMidPageWriteIsNotRemoved() throws {
        try preload(1_500)
        for i in 100..<1_490 { store.delete("b", Self.key(i)) }
        let store = self.store, writer = updater()
        store.beforeWrite = {
            store.put("b", Self.key(1_495) + "x", bytes: MemoryStore.png(width: 2, height: 2))
            _ = try? writer.sync(bucket: "b", keys: [Self.key(1_495) + "x"])      // another writer, after the listing
        }
        var updater = updater()
        updater.reconcilePageSize = 2_000
        let result = try updater.reconcile(bucket: "b")
        XCTAssertEqual(result.summary?.added, 0)
        XCTAssertEqual(result.summary?.removed, 1_390)
        XCTAssertTrue(try names().contains(Self.key(1_495) + "x"))
    }

    /// A catalog written to all the time makes page after page go round once: the contention
    /// bound is per page, so the run finishes. Counted over the run, it stopped a big catalog at
    /// the same page every run.
    func testAReconcileOfACatalogWrittenAllTheTimeFinishes() throws {
        try preload(600)
        let store = self.store, writer = updater()
        var listed = false, writing = false, added = 0, lastList = ""
        store.onRequest = { line in
            if line.hasPrefix("LIST b") && !writing && line != lastList { (listed, lastList) = (true, line) }
            // The first read of the catalog after each new page is listed: every page goes round once.
            guard !writing, listed, line.hasPrefix("RANGE b/images.json "), line.contains("if-match") else { return }
            listed = false
            writing = true
            defer { writing = false }
            added += 1
            store.put("b", Self.key(1_000 + added), bytes: MemoryStore.png(width: 2, height: 2))
            _ = try? writer.sync(bucket: "b", keys: [Self.key(1_000 + added)])   // another writer, mid-read
        }
        var updater = updater()
        updater.reconcilePageSize = 50
        updater.maxAttempts = 3
        let result = try updater.reconcile(bucket: "b")
        store.onRequest = nil
        XCTAssertEqual(result.complete, true)
        XCTAssertGreaterThan(added, 3, "more pages went round than the bound")
        XCTAssertEqual(try names(), ((0..<600).map(Self.key) + (1...added).map { Self.key(1_000 + $0) }))
    }

    /// A bucket that lost most of its objects: the entries between two listed keys (here the
    /// whole tail) are read a bounded stretch at a time and their removals written in batches,
    /// so the reconcile's memory does not grow with what was lost.
    func testEntriesOfALostStretchAreReadAndRemovedInBoundedSteps() throws {
        try preload(1_500)
        for i in 100..<1_500 { store.delete("b", Self.key(i)) }
        store.requests = []
        let result = try updater().reconcile(bucket: "b")
        XCTAssertEqual(result.complete, true)
        XCTAssertEqual(result.summary?.removed, 1_400)
        XCTAssertEqual(try names(), (0..<100).map(Self.key))
        let chunk = CatalogFile.tiny(store: store).chunkBytes
        let catalogReads = store.requests("RANGE b/images.json ").compactMap { line -> Int? in
            guard line.contains("if-match") else { return nil }
            let bounds = line.split(separator: " ")[2].split(separator: "-").map { Int($0)! }
            return bounds[1] - bounds[0] + 1
        }
        XCTAssertFalse(catalogReads.isEmpty)
        XCTAssertTrue(catalogReads.allSatisfy { $0 <= chunk + 1024 }, "bounded reads: \(catalogReads)")
        let writes = store.requests("COMPLETE").count + store.requests("PUT b/images.json ").count
        XCTAssertGreaterThan(writes, 1, "written in more than one batch")
        XCTAssertEqual(result.writes, writes, "each batch's write counted (the CatalogWrites metric)")
    }

    /// The same lost stretch under a deadline that ends inside the page (one listing page covers
    /// the whole tail): each run stops between two stretches, writes what it found and leaves
    /// the last name it reached to the next run, so every run makes progress and the pass ends.
    func testADeadlineInsideAPageStopsBetweenStretchesAndTheNextRunGoesOn() throws {
        try preload(1_500)
        for i in 100..<1_490 { store.delete("b", Self.key(i)) }
        store.put("b", Self.key(2_000), bytes: MemoryStore.png(width: 1, height: 1))          // a lost upload, last
        var updater = updater()
        var now: Int64 = 0
        updater.nowMs = { now }
        store.onRequest = { line in if line.hasPrefix("RANGE b/images.json ") { now += 100 } }
        var removed: [Int] = []
        var runs: [Bool?] = []
        repeat {
            now = 0
            let result = try updater.reconcile(bucket: "b", deadline: Deadline(epochMilliseconds: 1_000))
            runs.append(result.complete)
            removed.append(result.summary?.removed ?? 0)
        } while runs.last != true && runs.count < 100
        XCTAssertEqual(runs.last, true)
        XCTAssertGreaterThan(runs.count, 2, "the deadline stopped runs inside the one page")
        XCTAssertTrue(removed.dropLast().allSatisfy { $0 > 0 }, "every stopped run made progress: \(removed)")
        XCTAssertEqual(removed.reduce(0, +), 1_390)
        XCTAssertEqual(try names(), (0..<100).map(Self.key) + (1_490..<1_500).map(Self.key) + [Self.key(2_000)])
    }

    /// A reconcile under a prefix reads the blocks around that prefix, not the catalog from end
    /// to end, and changes nothing outside it.
    func testAReconcileUnderAPrefixReadsOnlyTheBlocksAroundIt() throws {
        try preload(600)
        for i in [0, 310, 350, 599] { store.delete("b", Self.key(i)) }              // lost deletes, two under the prefix
        let size = try XCTUnwrap(store.object("b", "images.json")).bytes.count
        store.requests = []
        let result = try updater().reconcile(bucket: "b", prefix: "images/1003")
        XCTAssertEqual(result.summary?.removed, 2)
        XCTAssertEqual(try names(), (0..<600).filter { $0 != 310 && $0 != 350 }.map(Self.key))
        let walked = store.requests("RANGE b/images.json ").filter { $0.contains("if-match") }.map { line -> Int in
            let bounds = line.split(separator: " ")[2].split(separator: "-").map { Int($0)! }
            return bounds[1] - bounds[0] + 1
        }
        XCTAssertLessThan(walked.reduce(0, +), size / 3, "the walk read \(walked) of \(size) bytes")
    }

    /// A big catalog in an older form (one line, here) with nothing to change is converted by the
    /// reconcile, indexed: the API can then page it by block.
    func testTheReconcileConvertsABigCatalogInAnOlderForm() throws {
        try preload(300)
        let entries = try store.catalog().entries
        let oneLine = "[" + entries.map { $0.jsonValue.serialized() }.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ",") + "]"
        store.put("b", "images.json", oneLine)
        let result = try updater().reconcile(bucket: "b")
        XCTAssertEqual(result.complete, true)
        XCTAssertEqual(result.wrote, true, "converted though nothing changed")
        let stored = try XCTUnwrap(store.object("b", "images.json"))
        XCTAssertNoThrow(try EntryRun(stored.bytes, atFileStart: true, atFileEnd: true), "imagecat's form")
        XCTAssertNotNil(store.object("b", CatalogFile.tiny(store: store).indexKey(stored.etag)), "indexed")
        XCTAssertEqual(try names(), (0..<300).map(Self.key))
        let again = try updater().reconcile(bucket: "b")
        XCTAssertEqual(again.wrote, false, "once converted, left alone")
    }

    /// The same bytes uploaded again keep their ETag and size but not their Last-Modified: the
    /// reconcile compares it too, or the entry keeps the older time for good.
    func testTheReconcileComparesLastModified() throws {
        try preload(10)
        let before = try XCTUnwrap(store.catalog()[Self.key(3)]?.extra["lastModified"]?.stringValue)
        store.put("b", Self.key(3), bytes: MemoryStore.png(width: 3 % 9 + 1, height: 2))            // same bytes, new time
        let result = try updater().reconcile(bucket: "b")
        XCTAssertEqual(result.summary?.updated, 1)
        XCTAssertNotEqual(try store.catalog()[Self.key(3)]?.extra["lastModified"]?.stringValue, before)
    }

    /// On a server that may list a key under another name (`a//b` as `a/b`), a key missing from
    /// the listing is not gone until its HEAD says so: neither in the re-check after a write nor
    /// in the reconcile.
    func testAbsenceFromAListingIsConfirmedByHEADUnlessTheStoreListsExactly() throws {
        try preload(10)
        store.listingsAreExact = false
        store.unlisted = [ExactKey(Self.key(4))]
        store.requests = []
        let result = try updater().reconcile(bucket: "b")
        XCTAssertEqual(result.summary?.removed, 0, "key 4 is there: its HEAD says so")
        XCTAssertEqual(store.requests("HEAD"), ["HEAD b/\(Self.key(4)) -> 200"])
        XCTAssertFalse(result.wrote)
        XCTAssertNotNil(try store.catalog()[Self.key(4)])
        // Where the listing is trusted (S3), the absence removes the entry without a HEAD; here
        // the listing lied, and the write's own re-check finds the object and restores it.
        store.listingsAreExact = true
        let trusted = try updater().reconcile(bucket: "b")
        XCTAssertEqual(trusted.attempts, 2)
        XCTAssertNotNil(try store.catalog()[Self.key(4)])
    }

    func testTheRecheckConfirmsADeleteByHEADUnlessTheStoreListsExactly() throws {
        let keys = (0..<6).map(Self.key)
        for key in keys { store.put("b", key, bytes: MemoryStore.png(width: 1, height: 1)) }
        _ = try updater().sync(bucket: "b", keys: keys)
        for key in keys.prefix(5) { store.delete("b", key) }
        store.listingsAreExact = false
        store.requests = []
        _ = try updater().sync(bucket: "b", keys: Array(keys.prefix(5)))
        XCTAssertEqual(store.requests("HEAD").count, 5, "each absence confirmed: \(store.requests)")
        XCTAssertEqual(try names(), [keys[5]])
    }
}
