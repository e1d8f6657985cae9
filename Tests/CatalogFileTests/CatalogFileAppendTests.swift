import Basics
import Catalog
import CatalogFile
import Storage
import TestSupport
import XCTest

/// Writes into a big catalog's tail: a rewrite of the tail names a prefix and saves it beside
/// the catalog, later writes copy it from there once, a lost completion costs a re-read of the
/// tail, and nothing is completed over a version whose first bytes are not known to be the
/// ones copied.
final class CatalogFileAppendTests: XCTestCase {
    var big = BigCatalog()
    let saved = "images.json.index/prefix-anchor-1"

    override func setUp() {
        big.file.tailTarget = 1024
        big.file.tailMax = 4096
        var anchors = 0
        big.file.newAnchor = {
            anchors += 1
            return "anchor-\(anchors)"
        }
    }

    func write(_ observations: [Observation], with file: CatalogFile? = nil) throws -> CatalogFile.WriteResult {
        let file = file ?? big.file
        return try file.write(Observation.sortedLatest(observations), over: try file.current(), policy: .merge).result
    }

    /// Runs `body` once, as the tail is read the second time (after a first completion).
    func atSecondTailRead(_ body: @escaping () -> Void) {
        var tailReads = 0
        big.store.onRequest = { [store = big.store] line in
            guard line.hasPrefix("RANGE b/images.json "), !line.hasPrefix("RANGE b/images.json 0-") else { return }
            tailReads += 1
            guard tailReads == 2 else { return }
            store.onRequest = nil
            body()
        }
    }

    /// Entries 0..<400, the last written by a rewrite of the tail, which names a prefix.
    func seed() throws -> CatalogVersion {
        _ = try big.seed(0..<399)
        guard case .written(let version) = try write([.exists(BigCatalog.entry(399))]) else { throw MemoryStoreError("not written") }
        return version
    }

    func testARewriteOfTheTailNamesAPrefixAndSavesIt() throws {
        let first = try big.seed(0..<399)
        XCTAssertNil(first.index.prefix, "a whole write: no tail to append to")
        guard case .written(let version) = try write([.exists(BigCatalog.entry(399))]) else { return XCTFail("not written") }
        let prefix = try XCTUnwrap(version.index.prefix)
        XCTAssertEqual(prefix.anchor, "anchor-1")
        XCTAssertLessThanOrEqual(version.size - prefix.length, 1024 + 256, "about tailTarget, to a block's start")
        XCTAssertGreaterThanOrEqual(version.size - prefix.length, 1024)
        XCTAssertNotNil(version.index.block(startingAt: prefix.length))
        let object = try XCTUnwrap(big.store.object("b", saved))
        XCTAssertEqual(object.bytes, Array(big.store.object("b", "images.json")!.bytes.prefix(Int(prefix.length))))
        XCTAssertEqual(prefix.base, object.etag)
        XCTAssertEqual(CatalogIndex(parsing: big.store.object("b", big.file.indexKey(version.etag!))!.bytes)?.prefix, prefix,
                       "the index names where it is saved")
        try big.checkIndexed()
    }

    func testACompletionThatFailsLeavesNeitherUploadBehind() throws {
        _ = try big.seed(0..<399)
        let store = big.store
        store.onRequest = { [store] line in
            if line.hasPrefix("COMPLETE b/images.json ") { store.failure = MemoryStoreError("503 SlowDown") }
            if line.hasPrefix("DELETE") { store.failure = nil }
        }
        XCTAssertThrowsError(try write([.exists(BigCatalog.entry(399))]))
        store.failure = nil
        XCTAssertTrue(store.requests.contains { $0.hasPrefix("COPY b/\(saved)") }, "the prefix was being saved: \(store.requests)")
        XCTAssertTrue(store.uploads.isEmpty, "the catalog's upload is aborted: \(store.uploads.keys)")
        XCTAssertNil(store.object("b", saved), "the prefix saved for it is deleted")
    }

    func testAWriteAllOverTheCatalogNamesNoPrefix() throws {
        _ = try seed()
        guard case .written(let after) = try write([.exists(BigCatalog.entry(3, size: 9)), .exists(BigCatalog.entry(401))]) else {
            return XCTFail("not written")
        }
        XCTAssertEqual(try big.size(3), 9)
        XCTAssertNil(after.index.prefix)
        XCTAssertNil(big.store.object("b", saved), "the saved prefix no version names is dropped")
        try big.checkIndexed()
    }

    func testNewNamesCopyTheSavedPrefixAndUploadOnlyTheTail() throws {
        let before = try seed()
        let prefix = try XCTUnwrap(before.index.prefix)
        big.store.requests = []
        guard case .written(let after) = try write([.exists(BigCatalog.entry(400)), .missing(BigCatalog.name(398))]) else {
            return XCTFail("not written: \(big.store.requests)")
        }
        XCTAssertEqual(try big.names(), (0..<401).filter { $0 != 398 }.map(BigCatalog.name))
        try big.checkIndexed()
        XCTAssertEqual(after.index.prefix, prefix, "the same prefix, named again")
        XCTAssertEqual(big.store.requests("COPY"), ["COPY b/images.json #1 from \(saved) 0-\(prefix.length - 1) -> 200"])
        XCTAssertEqual(big.store.requests("RANGE b/images.json ").last, "RANGE b/images.json \(prefix.length)-\(prefix.length + 4096) -> 206")
        XCTAssertEqual(big.store.requests("PART").count, 1)
        XCTAssertEqual(big.store.requests("COMPLETE"), ["COMPLETE b/images.json if-match \(before.etag!) -> 200"])
        // The copy is sent before the tail is read: it is not in the window another writer can win in.
        XCTAssertLessThan(big.store.requests.firstIndex { $0.hasPrefix("COPY") }!,
                          big.store.requests.firstIndex { $0.hasPrefix("RANGE b/images.json \(prefix.length)") }!)
    }

    func testALostCompletionReadsTheTailAgainAndCompletesWithoutCopyingAgain() throws {
        _ = try seed()
        let other = big.file
        let store = big.store
        var racer: CatalogFile.WriteResult?
        store.beforeWrite = { racer = try? other.write([.exists(BigCatalog.entry(401))], over: try! other.current(), policy: .merge).result }
        store.requests = []
        guard case .written = try write([.exists(BigCatalog.entry(400))]) else { return XCTFail("not written: \(store.requests)") }
        guard case .written? = racer else { return XCTFail("the racer did not write: \(String(describing: racer))") }
        XCTAssertEqual(try big.names(), (0..<402).map(BigCatalog.name), "both writes are in")
        try big.checkIndexed()
        XCTAssertEqual(store.requests("COPY").count, 2, "one copy each, none again: \(store.requests)")
        XCTAssertEqual(store.requests("COMPLETE").filter { $0.hasSuffix("412") }.count, 1)
        XCTAssertTrue(store.uploads.isEmpty, "no upload left behind")
        // The index sent with the lost completion is dropped in the background once the tail read
        // again names the winner: no read of the catalog's ETag (a byte of it) in the way.
        XCTAssertEqual(store.requests("RANGE b/images.json 0-0"), [], "\(store.requests)")
        let current = try big.file.current()
        XCTAssertEqual(Set(store.buckets["b"]!.keys.map(\.string).filter { $0.hasPrefix("images.json.index/") }),
                       [big.file.indexKey(current.etag!), saved],
                       "only the current version's index and the saved prefix are left")
    }

    /// A completion that landed but answered 412 (its answer lost, the retry finding it there):
    /// the next read of the tail names the ETag it predicted, so it counts as written (its
    /// caller re-checks its keys), not as nothing to change.
    func testACompletionThatLandedButAnswered412IsAWrite() throws {
        let before = try seed()
        big.store.lostAnswers = 1
        big.store.requests = []
        guard case .written(let after) = try write([.exists(BigCatalog.entry(400))]) else { return XCTFail("not written: \(big.store.requests)") }
        XCTAssertEqual(big.store.requests("COMPLETE").count, 1, "completed once: \(big.store.requests)")
        XCTAssertEqual(after.etag, big.store.object("b", "images.json")?.etag)
        XCTAssertEqual(after.index.parent, before.etag)
        XCTAssertEqual(try big.names(), (0..<401).map(BigCatalog.name))
        try big.checkIndexed()
        XCTAssertTrue(big.store.uploads.isEmpty)
    }

    /// The same when the index sent with that completion failed: it is written again before the
    /// next read, or the version it landed as would be left without one (a reader of 1,000,000
    /// entries would read 176 MB to index it).
    func testACompletionThatLandedWithoutItsIndexIsWrittenWithIt() throws {
        _ = try seed()
        big.store.lostAnswers = 1
        big.store.companionFailures = 1
        guard case .written(let after) = try write([.exists(BigCatalog.entry(400))]) else { return XCTFail("not written: \(big.store.requests)") }
        XCTAssertEqual(after.etag, big.store.object("b", "images.json")?.etag)
        try big.checkIndexed()
        XCTAssertTrue(big.store.uploads.isEmpty)
    }

    /// The same on the last attempt: no read of the tail follows, the current ETag tells.
    func testACompletionThatLandedOnTheLastAttemptIsAWrite() throws {
        _ = try seed()
        var file = big.file
        file.appendAttempts = 1
        big.store.lostAnswers = 1
        guard case .written(let after) = try write([.exists(BigCatalog.entry(400))], with: file) else {
            return XCTFail("not written: \(big.store.requests)")
        }
        XCTAssertEqual(after.etag, big.store.object("b", "images.json")?.etag)
        XCTAssertTrue(big.store.uploads.isEmpty)
    }

    /// Lost for good on the last attempt: one read of the current ETag tells, and the index sent
    /// with the completion is dropped. Its upload is aborted at once: only a round with nothing
    /// to write leaves that for later (`discardLater`), as other writers taking their turn would
    /// wait for it.
    func testACompletionLostOnTheLastAttemptReadsTheCurrentETagOnceAndDropsItsIndex() throws {
        _ = try seed()
        var file = big.file
        file.appendAttempts = 1
        let other = big.file
        let store = big.store
        store.defersAborts = true
        store.beforeWrite = { _ = try? other.write([.exists(BigCatalog.entry(401))], over: try! other.current(), policy: .merge) }
        store.requests = []
        guard case .conflict = try write([.exists(BigCatalog.entry(400))], with: file) else { return XCTFail("\(store.requests)") }
        XCTAssertEqual(store.requests("RANGE b/images.json 0-0").count, 1, "\(store.requests)")
        let current = try big.file.current()
        XCTAssertEqual(Set(store.buckets["b"]!.keys.map(\.string).filter { $0.hasPrefix("images.json.index/") }),
                       [big.file.indexKey(current.etag!), saved])
        XCTAssertTrue(store.toAbort.isEmpty)
        XCTAssertTrue(store.uploads.isEmpty, "\(store.uploads)")
    }

    /// A completion whose answer was lost (it landed), then a conflict: the hand edit written over
    /// it has no index, so nothing tells that it landed. The conflict reports that completion's
    /// changes, which its caller re-checks (`CatalogUpdater`'s maybe-landed keys), not those of
    /// the last read's merge, where they are in already.
    func testAConflictAfterALostCompletionReportsThatCompletionsChanges() throws {
        _ = try seed()
        var file = big.file
        file.appendAttempts = 2
        let store = big.store
        store.lostAnswers = 1
        atSecondTailRead { [store] in
            let text = String(decoding: store.object("b", "images.json")!.bytes, as: UTF8.self)
            store.put("b", "images.json", text.replacingOccurrences(of: #""etag":"e399""#, with: #""etag":"x399""#))   // by hand: no index
        }
        let written = try file.write([.exists(BigCatalog.entry(400))], over: try file.current(), policy: .merge)
        guard case .conflict = written.result else { return XCTFail("\(store.requests)") }
        XCTAssertEqual(written.outcomes, [.added])
        XCTAssertNotNil(try store.catalog()[BigCatalog.name(400)], "it landed")
    }

    /// The same when the next read finds the tail gone (a catalog rewritten by hand, here
    /// emptied): no `.changed` that would drop what the lost completion may have written.
    func testAChangedLayoutAfterALostCompletionReportsThatCompletionsChanges() throws {
        _ = try seed()
        let store = big.store
        store.lostAnswers = 1
        atSecondTailRead { [store] in store.put("b", "images.json", "[\n]\n") }
        let written = try big.file.write([.exists(BigCatalog.entry(400))], over: try big.file.current(), policy: .merge)
        guard case .conflict = written.result else { return XCTFail("\(store.requests)") }
        XCTAssertEqual(written.outcomes, [.added])
        XCTAssertTrue(store.uploads.isEmpty)
    }

    /// The same when the next read's merge would leave the tail empty (a hand edit put back an
    /// entry this write removes, and took out the one it kept): not a write for this path, but the
    /// rewrite it hands over to would report only its own changes, and the keys the lost
    /// completion changed would never be re-checked.
    func testAnEmptiedTailAfterALostCompletionReportsThatCompletionsChanges() throws {
        let version = try seed()
        let prefix = try XCTUnwrap(version.index.prefix)
        let store = big.store
        let stored = store.object("b", "images.json")!.bytes
        let inTail = try EntryRun(Array(stored[Int(prefix.length)...]), atFileStart: false, atFileEnd: true).count
        XCTAssertGreaterThanOrEqual(inTail, 3, "the seed's tail is too short for this test")
        let removed = Array((400 - inTail)..<399)          // all of the tail but its last entry
        store.lostAnswers = 1
        /// Entry `i`'s line as the seed wrote it, without its comma.
        func line(_ i: Int) -> Substring {
            let lines = String(decoding: stored, as: UTF8.self).split(separator: "\n")
            let line = lines.first { $0.contains("\"\(BigCatalog.name(i))\"") }!
            return line.hasSuffix(",") ? line.dropLast() : line
        }
        atSecondTailRead { [store] in
            let text = String(decoding: store.object("b", "images.json")!.bytes, as: UTF8.self)
            XCTAssertTrue(text.hasSuffix(line(399) + "\n]\n"), "the lost completion kept only the tail's last entry")
            store.put("b", "images.json", text.replacingOccurrences(of: line(399), with: line(removed[0])))   // by hand: no index
        }
        let written = try big.file.write(Observation.sortedLatest(removed.map { .missing(BigCatalog.name($0)) }),
                                         over: version, policy: .merge)
        guard case .conflict(mayHaveLanded: true) = written.result else { return XCTFail("\(written.result): \(store.requests)") }
        XCTAssertEqual(written.outcomes, removed.map { .removed(from: BigCatalog.entry($0)) })
        XCTAssertTrue(store.uploads.isEmpty)
    }

    /// On a store whose ETags cannot be predicted nothing tells whether a lost completion landed
    /// (the version it completed has no index, and no ETag to know it by): the write ends as a
    /// conflict that reports its changes, without reading the tail again.
    func testALostCompletionWhoseETagCannotBePredictedIsAConflict() throws {
        let version = try seed()
        let store = big.store
        store.predictsETags = false
        store.lostAnswers = 1
        store.requests = []
        let written = try big.file.write([.exists(BigCatalog.entry(400))], over: version, policy: .merge)
        guard case .conflict = written.result else { return XCTFail("\(store.requests)") }
        XCTAssertEqual(written.outcomes, [.added])
        let prefix = try XCTUnwrap(version.index.prefix)
        XCTAssertEqual(store.requests("RANGE b/images.json \(prefix.length)-").count, 1, "\(store.requests)")
        XCTAssertTrue(store.uploads.isEmpty)
    }

    /// A plain conflict (a first answer's 412: nothing landed) on such a store is retried in the
    /// tail, as on any other.
    func testAPlainConflictOnAStoreWhoseETagsCannotBePredictedIsRetriedInTheTail() throws {
        _ = try seed()
        let other = big.file
        let store = big.store
        store.predictsETags = false
        var racer: CatalogFile.WriteResult?
        store.beforeWrite = { racer = try? other.write([.exists(BigCatalog.entry(401))], over: try! other.current(), policy: .merge).result }
        store.requests = []
        let written = try big.file.write([.exists(BigCatalog.entry(400))], over: try big.file.current(), policy: .merge)
        guard case .written = written.result else { return XCTFail("\(store.requests)") }
        guard case .written? = racer else { return XCTFail("the racer did not write: \(String(describing: racer))") }
        XCTAssertEqual(try big.names(), (0..<402).map(BigCatalog.name))
        XCTAssertTrue(store.uploads.isEmpty)
    }

    /// A plain conflict (a first answer's 412: nothing landed) whose next read finds another
    /// layout reads afresh (`.changed`: not a lost write, no backoff), as before.
    func testAPlainConflictThenAnotherLayoutReadsAfresh() throws {
        _ = try seed()
        let store = big.store
        store.beforeWrite = { [store] in store.put("b", "images.json", "[\n]\n") }   // by hand
        XCTAssertThrowsError(try big.file.write([.exists(BigCatalog.entry(400))], over: try big.file.current(), policy: .merge)) { error in
            guard case .changed? = error as? CatalogFileError else { return XCTFail("\(error)") }
        }
        XCTAssertTrue(store.uploads.isEmpty)
    }

    /// And when another writer wrote over it before the next read: the version it completed is
    /// an ancestor of the one the tail's read names.
    func testACompletionThatLandedAndWasWrittenOverIsAWrite() throws {
        _ = try seed()
        let other = big.file
        let store = big.store
        store.lostAnswers = 1
        atSecondTailRead {
            _ = try? other.write([.exists(BigCatalog.entry(401))], over: try! other.current(), policy: .merge)
        }
        store.requests = []
        guard case .written(let landed) = try write([.exists(BigCatalog.entry(400))]) else { return XCTFail("not written: \(store.requests)") }
        XCTAssertNotEqual(landed.etag, store.object("b", "images.json")?.etag, "written over since")
        XCTAssertEqual(store.requests("COMPLETE").filter { $0.hasPrefix("COMPLETE b/images.json") }.count, 2, "ours, then the other's: \(store.requests)")
        XCTAssertEqual(try big.names(), (0..<402).map(BigCatalog.name))
        try big.checkIndexed()
        XCTAssertTrue(store.uploads.isEmpty)
    }

    /// A completion lost to a writer that wrote the very same bytes: the next read of the tail
    /// names the ETag this one predicted, so its changes are in, and the write counts as written
    /// (its caller re-checks its keys), not as nothing to change; its upload is aborted.
    func testACompletionLostToTheSameBytesIsAWrite() throws {
        let before = try seed()
        let other = big.file
        let store = big.store
        store.beforeWrite = { _ = try? other.write([.exists(BigCatalog.entry(400))], over: try! other.current(), policy: .merge) }
        store.requests = []
        guard case .written(let after) = try write([.exists(BigCatalog.entry(400))]) else { return XCTFail("not written: \(store.requests)") }
        XCTAssertEqual(store.requests("COMPLETE").filter { $0.hasSuffix("412") }.count, 1, "\(store.requests)")
        XCTAssertEqual(after.etag, store.object("b", "images.json")?.etag)
        XCTAssertEqual(after.index.parent, before.etag)
        XCTAssertEqual(try big.names(), (0..<401).map(BigCatalog.name))
        try big.checkIndexed()
        XCTAssertTrue(store.uploads.isEmpty)
    }

    func testAPrefixNotSavedIsCopiedFromTheVersionThatReplacedTheOneRead() throws {
        _ = try seed()
        big.store.delete("b", saved)
        let stale = try big.file.current()
        guard case .written = try write([.exists(BigCatalog.entry(401))]) else { return XCTFail("the other writer did not write") }
        big.store.requests = []
        let result = try big.file.write([.exists(BigCatalog.entry(400))], over: stale, policy: .merge).result
        guard case .written = result else { return XCTFail("not written: \(result) \(big.store.requests)") }
        XCTAssertEqual(try big.names(), (0..<402).map(BigCatalog.name))
        try big.checkIndexed()
        // From where it was saved (gone), from the version read (replaced), from the current one.
        XCTAssertEqual(big.store.requests("COPY").map { $0.suffix(3) }, ["Key", "412", "200"], "\(big.store.requests)")
        XCTAssertEqual(big.store.requests("CREATE").count, 1, "the same upload")
    }

    /// `seed()`, and the upload a write of entry 400 would complete with its prefix copy sent,
    /// copied by the store only when collected; the requests log emptied.
    func seededWithAStartedCopy() throws -> (CatalogVersion, PrefixCopy) {
        let version = try seed()
        big.store.defersStartedParts = true
        let copy = try XCTUnwrap(big.file.prefixCopy(over: version, forNames: [BigCatalog.name(400)]))
        let started = copy.start(in: big.store, bucket: "b", key: "images.json")
        big.store.requests = []
        return (version, started)
    }

    /// A copy sent before the write (`PrefixCopy.start`) is collected only before the
    /// completion: the tail is read, merged and sent while the server copies.
    func testAStartedCopyIsCollectedOnlyBeforeTheCompletion() throws {
        let (version, started) = try seededWithAStartedCopy()
        let result = try big.file.write([.exists(BigCatalog.entry(400))], over: version, policy: .merge, prefixCopy: started).result
        guard case .written = result else { return XCTFail("not written: \(result) \(big.store.requests)") }
        let log = big.store.requests
        let tail = try XCTUnwrap(log.firstIndex { $0.hasPrefix("RANGE b/images.json ") }, "\(log)")
        let sent = try XCTUnwrap(log.firstIndex { $0.hasPrefix("PART b/images.json #2") }, "\(log)")
        let copied = try XCTUnwrap(log.firstIndex { $0.hasPrefix("COPY b/images.json #1 from \(saved)") }, "\(log)")
        let completed = try XCTUnwrap(log.firstIndex { $0.hasPrefix("COMPLETE b/images.json ") }, "\(log)")
        XCTAssertLessThan(tail, copied, "\(log)")
        XCTAssertLessThan(sent, copied, "\(log)")
        XCTAssertLessThan(copied, completed, "\(log)")
        XCTAssertEqual(log.filter { $0.hasPrefix("COPY") }.count, 1, "\(log)")
        XCTAssertEqual(try big.names(), (0..<401).map(BigCatalog.name))
        XCTAssertTrue(big.store.uploads.isEmpty)
        try big.checkIndexed()
    }

    /// A started copy that fails when collected (its saved prefix deleted meanwhile) is copied
    /// again, from the version read, before the completion: the write still lands, exact.
    func testAStartedCopyThatFailsIsCopiedAgainFromTheCatalog() throws {
        let (version, started) = try seededWithAStartedCopy()
        big.store.delete("b", saved)
        let result = try big.file.write([.exists(BigCatalog.entry(400))], over: version, policy: .merge, prefixCopy: started).result
        guard case .written = result else { return XCTFail("not written: \(result) \(big.store.requests)") }
        let copies = big.store.requests("COPY b/images.json #1")
        XCTAssertEqual(copies.count, 2, "its answer is the first attempt's, not sent again: \(copies)")
        XCTAssertTrue(copies.first?.contains("from \(saved)") == true && copies.first?.hasSuffix("404 NoSuchKey") == true, "\(copies)")
        XCTAssertTrue(copies.last?.contains("from images.json 0-") == true && copies.last?.hasSuffix("200") == true, "\(copies)")
        XCTAssertLessThan(try XCTUnwrap(big.store.requests.firstIndex { $0.hasPrefix("PART b/images.json #2") }),
                          try XCTUnwrap(big.store.requests.firstIndex { $0.hasPrefix("COPY") }), "collected late")
        XCTAssertEqual(try big.names(), (0..<401).map(BigCatalog.name))
        XCTAssertTrue(big.store.uploads.isEmpty)
        try big.checkIndexed()
    }

    /// The store answers a part sent into an upload that is gone with 404, as S3 does: a copy
    /// that reached an upload after its abort, or one sent into an upload never created (an
    /// id not yet known), fails the write that collects it instead of landing unseen.
    func testAPartIntoAnUploadThatIsGoneIs404() throws {
        let id = try big.store.startUpload(bucket: "b", key: "images.json", contentType: "application/json")
        try big.store.abortUpload(bucket: "b", key: "images.json", uploadID: id)
        for upload in [id, ""] {
            XCTAssertThrowsError(try big.store.uploadParts(bucket: "b", key: "images.json", uploadID: upload,
                                                           parts: [UploadPart(number: 1, source: .bytes([1]))]))
            XCTAssertEqual(big.store.requests.last?.hasSuffix("404 NoSuchUpload"), true, "\(big.store.requests)")
        }
    }

    /// A started copy that a write does not complete is collected before its upload is aborted:
    /// no copy lands in an aborted upload.
    func testAStartedCopyIsCollectedBeforeItsUploadIsAborted() throws {
        let (version, started) = try seededWithAStartedCopy()
        let result = try big.file.write([.exists(BigCatalog.entry(399))], over: version, policy: .merge, prefixCopy: started).result
        guard case .unchanged = result else { return XCTFail("written: \(result)") }
        XCTAssertEqual(big.store.requests.filter { $0.hasPrefix("COPY") || $0.hasPrefix("ABORT") }.map { String($0.prefix(5)) },
                       ["COPY ", "ABORT"], "\(big.store.requests)")
        XCTAssertTrue(big.store.uploads.isEmpty)
    }

    /// What a writer does before observing its keys: create the upload (asking whether the
    /// version it saw last is current, when the prefix is not saved), and copy the prefix.
    func preparedCopy(over cached: CatalogVersion, for names: [String]) throws -> PrefixCopy {
        let copy = try XCTUnwrap(big.file.prefixCopy(over: cached, forNames: names))
        let etags = try XCTUnwrap(big.store.uploadParts(bucket: "b", key: "images.json", uploadID: copy.uploadID,
                                                        parts: [copy.part(of: "images.json")]))
        return copy.copied(as: etags[0])
    }

    /// `seed()` as a writer that saw it without its prefix saved (`cached`), a newer version
    /// written since (entry 401), and that writer's upload for entry 400 with the prefix copied
    /// from the newer version.
    func copiedFromANewerVersion() throws -> (cached: CatalogVersion, newer: CatalogVersion, copy: PrefixCopy) {
        _ = try seed()
        var cached = try big.file.current()
        cached.index.prefix?.base = nil                      // a writer that has not seen it saved
        guard case .written(let newer) = try write([.exists(BigCatalog.entry(401))]) else { throw MemoryStoreError("not written") }
        return (cached, newer, try preparedCopy(over: cached, for: [BigCatalog.name(400)]))
    }

    func testAPrefixCopiedFromANewerVersionIsUsedOnceItsIndexNamesThePrefix() throws {
        let (cached, newer, copy) = try copiedFromANewerVersion()
        big.store.requests = []
        let result = try big.file.write([.exists(BigCatalog.entry(400))], over: cached, policy: .merge, prefixCopy: copy).result
        guard case .written = result else { return XCTFail("not written: \(result) \(big.store.requests)") }
        XCTAssertEqual(try big.names(), (0..<402).map(BigCatalog.name))
        try big.checkIndexed()
        XCTAssertEqual(big.store.requests("COPY"), [], "copied before")
        XCTAssertTrue(big.store.requests.contains { $0.hasPrefix("RANGE b/\(big.file.indexKey(newer.etag!))") }, "\(big.store.requests)")
    }

    /// The prefix copied from a newer version (V2) than the one the writer saw, and the tail then
    /// read from a newer one still (V3): V2's index is read with the tail's part to learn whether
    /// the copied bytes are V2's prefix. V3's writer dropped it, so they are not known to be:
    /// the copy is not completed; the prefix is copied again, from a version whose index names
    /// it, and the write lands.
    func testAPrefixCopiedFromAVersionOtherThanTheTailsIsCheckedByItsIndex() throws {
        let (cached, v2, copy) = try copiedFromANewerVersion()
        guard case .written(let v3) = try write([.exists(BigCatalog.entry(402))]) else { return XCTFail("not written") }
        big.store.requests = []
        let result = try big.file.write([.exists(BigCatalog.entry(400))], over: cached, policy: .merge, prefixCopy: copy).result
        guard case .written = result else { return XCTFail("not written: \(result) \(big.store.requests)") }
        XCTAssertEqual(try big.names(), (0..<403).map(BigCatalog.name))
        try big.checkIndexed()
        let log = big.store.requests
        let sourceIndex = try XCTUnwrap(log.firstIndex { $0.hasPrefix("RANGE b/\(big.file.indexKey(v2.etag!))") }, "\(log)")
        XCTAssertTrue(log[sourceIndex].hasSuffix("404"), "dropped by V3's writer: \(log)")
        XCTAssertTrue(log.contains { $0.hasPrefix("RANGE b/\(big.file.indexKey(v3.etag!))") }, "\(log)")
        let copied = try XCTUnwrap(log.lastIndex { $0.hasPrefix("COPY b/images.json #1 from images.json 0-") && $0.hasSuffix("200") }, "\(log)")
        let completed = try XCTUnwrap(log.firstIndex { $0.hasPrefix("COMPLETE b/images.json ") }, "\(log)")
        XCTAssertLessThan(sourceIndex, copied, "copied again once the source is not known: \(log)")
        XCTAssertLessThan(copied, completed, "\(log)")
        XCTAssertEqual(log.filter { $0.hasPrefix("COMPLETE b/images.json ") }.count, 1, "nothing completed before: \(log)")
        XCTAssertTrue(big.store.uploads.isEmpty)
    }

    func testAPrefixCopiedFromAHandEditIsNeverCompleted() throws {
        let cached = try seed()
        big.store.delete("b", saved)
        var cachedWithoutBase = cached
        cachedWithoutBase.index.prefix?.base = nil
        var edited = big.store.object("b", "images.json")!.bytes
        let at = edited.indices.first { edited[$0...].starts(with: Array(BigCatalog.name(3).utf8)) }!
        edited[at + BigCatalog.name(3).utf8.count - 5] = UInt8(ascii: "9")
        big.store.put("b", "images.json", bytes: edited)
        let copy = try preparedCopy(over: cachedWithoutBase, for: [BigCatalog.name(400)])
        big.store.requests = []
        let result = try big.file.write([.exists(BigCatalog.entry(400))], over: cachedWithoutBase, policy: .merge, prefixCopy: copy).result
        guard case .conflict = result else { return XCTFail("completed over a hand edit: \(result)") }
        XCTAssertEqual(big.store.requests("COMPLETE"), [], "\(big.store.requests)")
        XCTAssertEqual(big.store.object("b", "images.json")?.bytes, edited)
        XCTAssertTrue(big.store.uploads.isEmpty, "the upload is aborted")
    }

    func testANameBeforeTheTailIsARewriteThatDropsThePrefixAndItsSavedCopy() throws {
        let before = try seed()
        big.store.requests = []
        guard case .written(let after) = try write([.exists(BigCatalog.entry(3, size: 9))]) else { return XCTFail("not written") }
        XCTAssertEqual(try big.size(3), 9)
        try big.checkIndexed()
        XCTAssertEqual(big.store.requests("COPY").filter { $0.contains("from images.json 0-") }.count, 0, "the start is rewritten")
        XCTAssertNil(after.index.prefix)
        XCTAssertNotNil(before.index.prefix)
        XCTAssertNil(big.store.object("b", saved), "the saved prefix no version names is dropped")
        // The next write of the tail names a new one, saves it, and drops the old one.
        guard case .written(let next) = try write([.exists(BigCatalog.entry(400))]) else { return XCTFail("not written") }
        XCTAssertEqual(next.index.prefix?.anchor, "anchor-2")
        XCTAssertNotNil(big.store.object("b", "images.json.index/prefix-anchor-2"))
    }

    func testARewriteThatCopiesThePrefixUnchangedNamesItAgain() throws {
        var file = big.file
        file.tailMax = 1 << 20                               // the tail may grow: the prefix is kept
        let before = try seed()
        file.appendAttempts = 0                              // the tail path off: a rewrite of the tail
        big.store.requests = []
        guard case .written(let after) = try write([.exists(BigCatalog.entry(420))], with: file) else { return XCTFail("not written") }
        XCTAssertEqual(after.index.prefix, before.index.prefix, "\(big.store.requests)")
        XCTAssertEqual(big.store.requests("COMPLETE").count, 1, "nothing saved again")
        try big.checkIndexed()
    }

    /// A write over a version the caller did not read (`unconfirmed`) that turns out not to go
    /// into the tail (here every entry of the tail goes) is `.changed`: the caller reads the
    /// current version first. Read, the same write rewrites.
    func testAnUnconfirmedWriteThatIsNotIntoTheTailAsksForARead() throws {
        let version = try seed()
        let tail = version.index.blocks[version.index.block(startingAt: version.index.prefix!.length)!...].reduce(0) { $0 + $1.count }
        let gone = Observation.sortedLatest((400 - tail..<400).map { .missing(BigCatalog.name($0)) })
        XCTAssertTrue(big.file.appends(gone.map(\.name), over: version))
        big.store.requests = []
        XCTAssertThrowsError(try big.file.write(gone, over: version, unconfirmed: true, policy: .merge)) { error in
            guard case .changed = error as? CatalogFileError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(big.store.requests("RANGE b/images.json ").count, 1, "the tail alone: \(big.store.requests)")
        XCTAssertTrue(big.store.uploads.isEmpty)
        guard case .written = try big.file.write(gone, over: version, policy: .merge).result else { return XCTFail("not written") }
        XCTAssertEqual(try big.names(), (0..<(400 - tail)).map(BigCatalog.name))
    }

    func testAVersionWhoseFirstBytesChangedIsNotCompletedOver() throws {
        let before = try seed()
        let prefix = try XCTUnwrap(before.index.prefix)
        let store = big.store
        // Once the prefix is copied, a hand edit changes a name in it and keeps the tail as it is:
        // the tail still reads as a tail, but its version has no index that names the prefix.
        var edited: [UInt8] = []
        store.onRequest = { [store] line in
            guard line.hasPrefix("RANGE b/images.json \(prefix.length)-"), edited.isEmpty else { return }
            edited = store.object("b", "images.json")!.bytes
            let at = edited.indices.first { edited[$0...].starts(with: Array(BigCatalog.name(3).utf8)) }!
            edited[at + BigCatalog.name(3).utf8.count - 5] = UInt8(ascii: "9")   // images/100003.png → images/100093.png
            store.put("b", "images.json", bytes: edited)
        }
        store.requests = []
        let result = try write([.exists(BigCatalog.entry(400))])
        guard case .conflict = result else { return XCTFail("completed over an unknown version: \(result)") }
        XCTAssertEqual(store.object("b", "images.json")?.bytes, edited, "the hand edit is left as it is")
        XCTAssertEqual(store.requests("COMPLETE"), [], "\(store.requests)")
        XCTAssertTrue(store.uploads.isEmpty, "the upload is aborted")
    }

    func testAPrefixRoundTripsThroughTheIndexAndMustStartABlock() throws {
        let version = try seed()
        var index = version.index
        XCTAssertNotNil(index.prefix?.base)
        XCTAssertEqual(CatalogIndex(parsing: index.serialized()), index)
        index.prefix?.length += 1
        XCTAssertNil(CatalogIndex(parsing: index.serialized()), "a prefix that ends inside a block")
        index.prefix = CatalogIndex.Prefix(anchor: "a", length: 0)
        XCTAssertNil(CatalogIndex(parsing: index.serialized()), "an empty prefix")
    }
}

