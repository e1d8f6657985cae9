import Basics
import Catalog
import CatalogFile
import JSON
import Storage
import TestSupport
import XCTest

/// Writes of a big catalog: what is rewritten, what is copied, what a conflict costs, and that
/// the result is always the whole catalog in imagecat's form with its index.
final class CatalogFileWriteTests: XCTestCase {
    var big = BigCatalog()

    /// The old bytes the last write copied, as contiguous stretches (each cut into parts of
    /// about `copyTarget`), after checking every part is within S3's and the file's sizes.
    func copiedStretches(file path: StaticString = #filePath, line: UInt = #line) -> [ClosedRange<Int>] {
        var stretches: [ClosedRange<Int>] = []
        for copy in big.store.requests("COPY") {
            let bounds = copy.split(separator: " ")[5].split(separator: "-").map { Int($0)! }
            let size = Int64(bounds[1] - bounds[0] + 1)
            XCTAssertTrue(size >= big.file.minPart && size <= big.file.copyTarget + 1, "\(copy)", file: path, line: line)
            if let last = stretches.last, last.upperBound + 1 == bounds[0] {
                stretches[stretches.count - 1] = last.lowerBound...bounds[1]
            } else {
                stretches.append(bounds[0]...bounds[1])
            }
        }
        return stretches
    }

    func write(_ observations: [Observation]) throws -> CatalogFile.WriteResult {
        let version = try big.file.current()
        return try big.file.write(Observation.sortedLatest(observations), over: version, policy: .merge).result
    }

    func testTheFirstWriteOfANewCatalog() throws {
        let version = try big.seed(0..<400)
        XCTAssertNil(version.whole, "past smallBytes: read by its index")
        XCTAssertEqual(try big.names(), (0..<400).map(BigCatalog.name))
        try big.checkIndexed()
        // A new reader finds it by its index, without reading it whole.
        big.store.requests = []
        let read = try big.file.current()
        XCTAssertEqual(read.index, version.index)
        XCTAssertEqual(big.store.requests.map { String($0.prefix(26)) }, ["RANGE b/images.json 0-255 ", "GET b/images.json.index/" + version.etag!.prefix(2)])
    }

    func testAChangeNearTheEndUploadsOnlyTheTail() throws {
        let before = try big.seed(0..<400)
        big.store.requests = []
        guard case .written(let after) = try write([.exists(BigCatalog.entry(400)), .missing(BigCatalog.name(398))]) else {
            return XCTFail("not written")
        }
        XCTAssertEqual(try big.names(), (0..<401).filter { $0 != 398 }.map(BigCatalog.name))
        try big.checkIndexed()
        let parts = big.store.requests("PART")
        XCTAssertEqual(copiedStretches().count, 1, "\(big.store.requests)")
        XCTAssertEqual(copiedStretches().first?.lowerBound, 0)
        XCTAssertGreaterThan(big.store.requests("COPY").count, 1, "cut into parts copied at once")
        XCTAssertEqual(parts.count, 1)
        let uploaded = Int(parts[0].split(separator: " ")[3])!
        XCTAssertLessThan(uploaded, Int(big.file.windowTarget), "only the end is rewritten")
        XCTAssertEqual(after.index.parent, before.etag)
        XCTAssertNil(big.store.object("b", big.file.indexKey(before.etag!)), "the old version's index is dropped")
        // The window is read once, while learning what changes: the probe, then that read.
        let reads = big.store.requests("RANGE b/images.json ")
        XCTAssertEqual(reads.count, 2, "\(big.store.requests)")
        XCTAssertLessThan(big.store.requests.firstIndex(of: reads[1])!, big.store.requests.firstIndex { $0.hasPrefix("CREATE") }!)
    }

    func testASpliceCompletesWithItsIndexInOneRoundTrip() throws {
        _ = try big.seed(0..<400)
        let version = try big.file.current()
        big.store.requests = []
        big.store.roundTrips = 0
        guard case .written(let after) = try big.file.write([.exists(BigCatalog.entry(400))], over: version, policy: .merge).result else {
            return XCTFail("not written")
        }
        // Read the window while the upload is created, send the parts, complete with the index;
        // the old index is dropped in the background, no round trip waited for.
        XCTAssertEqual(big.store.roundTrips, 3, "\(big.store.requests)")
        XCTAssertEqual(big.store.backgroundDeletes, 1)
        XCTAssertNil(big.store.object("b", big.file.indexKey(version.etag!)))
        let completion = try XCTUnwrap(big.store.requests.firstIndex { $0.hasPrefix("COMPLETE") })
        XCTAssertEqual(big.store.requests[completion - 1], "PUT b/\(big.file.indexKey(after.etag!)) (with the completion) -> 200")
        try big.checkIndexed()
    }

    func testAnIndexThatCouldNotBeWrittenWithTheCompletionIsWrittenAfterIt() throws {
        _ = try big.seed(0..<400)
        let version = try big.file.current()
        let store = big.store
        // Every write of an index fails until the completion has been answered.
        store.onRequest = { [store] line in
            if line.hasPrefix("PUT b/images.json.index/") && line.hasSuffix("(with the completion)") {
                store.writeErrors[ExactKey(line.split(separator: " ")[1].dropFirst(2).description)] = MemoryStoreError("503 SlowDown")
            }
            if line.hasPrefix("COMPLETE") { store.writeErrors = [:] }
        }
        guard case .written(let after) = try big.file.write([.exists(BigCatalog.entry(400))], over: version, policy: .merge).result else {
            return XCTFail("not written")
        }
        XCTAssertTrue(store.requests.contains { $0.hasSuffix("(with the completion) -> error 503 SlowDown") }, "\(store.requests)")
        XCTAssertTrue(store.requests.contains("PUT b/\(big.file.indexKey(after.etag!)) if-none-match * -> 200"), "\(store.requests)")
        try big.checkIndexed()
    }

    func testAConversionWhosePartFailsLeavesNoUploadBehind() throws {
        let entries = (0..<400).map { BigCatalog.entry($0).jsonValue.serialized() }.map { String(decoding: $0, as: UTF8.self) }
        big.store.put("b", "images.json", "[" + entries.joined(separator: ",") + "]")    // one line: converted on write
        let store = big.store
        store.onRequest = { [store] line in if line.hasPrefix("PART") { store.failure = MemoryStoreError("503 SlowDown") } }
        XCTAssertThrowsError(try write([.exists(BigCatalog.entry(400))]))
        store.failure = nil
        XCTAssertEqual(store.requests("ABORT").count, 1, "\(store.requests)")
        XCTAssertTrue(store.uploads.isEmpty, "no upload left behind")
    }

    func testAPublishedVersionWhoseIndexCannotBeWrittenIsStillAWrite() throws {
        _ = try big.seed(0..<400)
        big.store.predictsETags = false                         // the index is written after the completion
        let store = big.store
        store.onRequest = { [store] line in
            if line.hasPrefix("PUT b/images.json.index/") { store.failure = MemoryStoreError("503 SlowDown") }
        }
        let result = try write([.exists(BigCatalog.entry(400))])
        store.onRequest = nil
        store.failure = nil
        guard case .written(let version) = result else { return XCTFail("\(result)") }
        XCTAssertTrue(store.requests.contains { $0.hasPrefix("PUT b/images.json.index/") && $0.hasSuffix("-> error") },
                      "the index write was tried and failed: \(store.requests)")
        XCTAssertEqual(try big.names(), (0..<401).map(BigCatalog.name))
        XCTAssertNil(store.object("b", big.file.indexKey(version.etag!)), "no index yet")
        XCTAssertEqual(try big.file.current().index.count, 401, "the next reader indexes it")
        try big.checkIndexed()
    }

    /// A catalog written with one PutObject (past `smallBytes`, within `singlePutMax`) sends
    /// its index first, best effort like every other index write: one that cannot be written
    /// (throttled, a policy on the index folder) no longer stops the write.
    func testAWholePutWhoseIndexCannotBeWrittenFirstIsStillAWrite() throws {
        let small = try big.seed(0..<2)
        XCTAssertNotNil(small.whole, "read whole: the next write is one PutObject")
        let store = big.store
        store.requests = []
        store.onRequest = { [store] line in
            guard line.hasPrefix("PUT b/images.json.index/") else { return }
            let key = line.split(separator: " ")[1].dropFirst("b/".count)
            store.writeErrors[ExactKey(String(key))] = MemoryStoreError("503 SlowDown")
        }
        let result = try write((2..<21).map { .exists(BigCatalog.entry($0)) })
        store.onRequest = nil
        store.writeErrors = [:]
        guard case .written(let version) = result else { return XCTFail("\(result)") }
        XCTAssertGreaterThan(version.size, Int64(big.file.smallBytes))
        XCTAssertLessThanOrEqual(version.size, Int64(big.file.singlePutMax))
        XCTAssertEqual(store.requests.filter { $0.hasPrefix("PUT b/images.json ") }.count, 1, "one PutObject: \(store.requests)")
        XCTAssertEqual(try big.names(), (0..<21).map(BigCatalog.name))
        XCTAssertEqual(try big.file.current().index.count, 21, "the next reader indexes it")
    }

    func testAWindowWhoseIndexMiscountsItsEntriesIsNotWritten() throws {
        let version = try big.seed(0..<400)
        var lying = version.index
        let last = lying.blocks.count - 1
        lying.blocks[last].count += 1                       // the bytes still parse: only the count lies
        big.store.put("b", big.file.indexKey(version.etag!), bytes: lying.serialized())
        XCTAssertThrowsError(try write([.exists(BigCatalog.entry(400))])) { error in
            guard case CatalogFileError.changed = error else { return XCTFail("\(error)") }
        }
        XCTAssertNil(big.store.object("b", big.file.indexKey(version.etag!)), "dropped, to be indexed again")
        XCTAssertEqual(big.store.object("b", "images.json")?.etag, version.etag, "nothing written")
        XCTAssertTrue(big.store.uploads.isEmpty, "the upload created with the reads aborted: \(big.store.uploads)")
        guard case .written = try write([.exists(BigCatalog.entry(400))]) else { return XCTFail("not written after reindexing") }
        XCTAssertEqual(try big.names(), (0..<401).map(BigCatalog.name))
        try big.checkIndexed()
    }

    func testAChangeInTheMiddleRewritesOneWindowAndCopiesBothSides() throws {
        _ = try big.seed(0..<400)
        big.store.requests = []
        guard case .written = try write([.exists(BigCatalog.entry(200, size: 7))]) else { return XCTFail("not written") }
        XCTAssertEqual(copiedStretches().count, 2, "both sides of the window")
        XCTAssertEqual(big.store.requests("PART").count, 1)
        XCTAssertEqual(try big.size(200), 7)
        try big.checkIndexed()
    }

    func testChangesRightAtBlockBoundaries() throws {
        let version = try big.seed(0..<400)
        // The first entry of every block, and the last entry before it: every edge of a window.
        var observations: [Observation] = []
        for block in version.index.blocks.dropFirst() {
            let first = Int(block.firstName.string.dropFirst(7).prefix(6))! - 100_000
            observations.append(.exists(BigCatalog.entry(first, size: 2)))
            observations.append(.missing(BigCatalog.name(first - 1)))
        }
        guard case .written = try write(observations) else { return XCTFail("not written") }
        try big.checkIndexed()
        let catalog = try Catalog(parsing: big.store.object("b", "images.json")!.bytes)
        XCTAssertEqual(catalog.count, 400 - (version.index.blocks.count - 1))
        for observation in observations {
            XCTAssertEqual(catalog[observation.name]?.size, observation.entry?.size, observation.name)
        }
    }

    func testChangesEverywhereRewriteEverythingAChunkAtATime() throws {
        _ = try big.seed(0..<400)
        big.store.requests = []
        guard case .written = try write(stride(from: 0, to: 400, by: 7).map { .missing(BigCatalog.name($0)) }) else {
            return XCTFail("not written")
        }
        XCTAssertEqual(try big.names(), (0..<400).filter { $0 % 7 != 0 }.map(BigCatalog.name))
        try big.checkIndexed()
        XCTAssertTrue(big.store.requests("COPY").isEmpty)
        for read in big.store.requests("RANGE b/images.json ") {
            let range = read.split(separator: " ")[2].split(separator: "-").map { Int($0)! }
            XCTAssertLessThanOrEqual(range[1] - range[0] + 1, big.file.chunkBytes + 2048, "reads are bounded: \(read)")
        }
    }

    func testARedeliveryReadsOnlyWhatItWouldRewriteAndWritesNothing() throws {
        _ = try big.seed(0..<400)
        _ = try write([.exists(BigCatalog.entry(250, size: 3))])
        big.store.requests = []
        guard case .unchanged = try write([.exists(BigCatalog.entry(250, size: 3))]) else { return XCTFail("written again") }
        XCTAssertEqual(big.store.requests("RANGE b/images.json ").count, 2, "the probe and one window: \(big.store.requests)")
        // The upload created with that read, in case something changed, is dropped.
        XCTAssertEqual(big.store.requests("CREATE").count, 1)
        XCTAssertEqual(big.store.requests("ABORT").count, 1)
        XCTAssertTrue(big.store.requests("PUT").isEmpty && big.store.requests("PART").isEmpty && big.store.requests("COMPLETE").isEmpty)
        XCTAssertTrue(big.store.uploads.isEmpty)
    }

    /// Changes spread over the catalog rewrite all of it, but a block no change falls in is
    /// carried as it is, not parsed and cut into blocks again: the new index keeps it whole.
    func testChangesSpreadOverTheCatalogCarryTheBlocksTheyMissAsTheyAre() throws {
        let version = try big.seed(0..<400)
        let firsts = version.index.blocks.map { Int($0.firstName.string.dropFirst(7).prefix(6))! - 100_000 }
        let touched = Set(stride(from: 1, to: firsts.count - 1, by: 3))   // the first and the last block carried too
        XCTAssertFalse(touched.contains(0) || touched.contains(firsts.count - 1))
        big.store.requests = []
        guard case .written(let next) = try write(touched.map { .missing(BigCatalog.name(firsts[$0] + 1)) }) else {
            return XCTFail("not written")
        }
        XCTAssertTrue(big.store.requests("COPY").isEmpty, "everything rewritten: \(big.store.requests)")
        XCTAssertEqual(try big.names(), (0..<400).filter { i in !touched.contains { firsts[$0] + 1 == i } }.map(BigCatalog.name))
        try big.checkIndexed()
        let kept = next.index.blocks.map { [$0.firstName: ($0.count, $0.typeBits)] }.reduce(into: [:]) { $0.merge($1) { a, _ in a } }
        for (i, block) in version.index.blocks.enumerated() where !touched.contains(i) {
            XCTAssertTrue(kept[block.firstName].map { $0 == (block.count, block.typeBits) } ?? false, "block \(i) carried whole")
        }
    }

    /// A carried block is checked against what the index says of it: an index whose first name
    /// for a block no change falls in is not that block's is dropped, nothing is written, and the
    /// caller reads the version afresh (`.changed`, not a conflict, which would write over the
    /// same index again).
    func testACarriedBlockTheIndexMisnamesIsNotWritten() throws {
        let version = try big.seed(0..<400)
        var lying = version.index
        lying.blocks[4].firstName = ExactKey(lying.blocks[4].firstName.string + "~")   // still before block 5's
        big.store.put("b", big.file.indexKey(version.etag!), bytes: lying.serialized())
        let spread = stride(from: 0, to: lying.blocks.count, by: 3).map {
            Observation.missing(BigCatalog.name(Int(lying.blocks[$0].firstName.string.dropFirst(7).prefix(6))! - 100_000 + 1))
        }
        XCTAssertThrowsError(try write(spread), "read afresh, not a conflict: a cached version would keep its index") { error in
            guard case CatalogFileError.changed = error else { return XCTFail("\(error)") }
        }
        XCTAssertNil(big.store.object("b", big.file.indexKey(version.etag!)), "dropped, to be indexed again")
        XCTAssertEqual(big.store.object("b", "images.json")?.etag, version.etag, "nothing written")
        XCTAssertTrue(big.store.uploads.isEmpty, "its upload aborted")
        guard case .written = try write(spread) else { return XCTFail("not written after reindexing") }
        try big.checkIndexed()
    }

    /// A server that answers a window's read with fewer bytes than asked writes nothing: a
    /// storage failure (the records come back), the index kept, the upload aborted.
    func testAShortReadOfAWindowWithCarriedBlocksIsNotWritten() throws {
        let version = try big.seed(0..<400)
        big.store.rangeBytesLimit = 2048                      // blocks come whole, chunks of windows do not
        let spread = stride(from: 0, to: 400, by: 97).map { Observation.missing(BigCatalog.name($0)) }
        XCTAssertThrowsError(try write(spread)) { error in
            guard case CatalogFileError.storage = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(big.store.object("b", "images.json")?.etag, version.etag, "nothing written")
        XCTAssertNotNil(big.store.object("b", big.file.indexKey(version.etag!)), "kept: it describes the bytes")
        XCTAssertTrue(big.store.uploads.isEmpty)
    }

    func testAMiddleChangeWithAWindowTooBigToHoldReadsTheTouchedBlockFirst() throws {
        big.file.chunkBytes = 1024                            // no window fits: read when written
        _ = try big.seed(0..<400)
        big.store.requests = []
        guard case .written = try write([.exists(BigCatalog.entry(250, size: 3))]) else { return XCTFail("not written") }
        let reads = big.store.requests("RANGE b/images.json ")
        XCTAssertGreaterThan(reads.count, 2, "the probe, the touched block, then the window a chunk at a time: \(reads)")
        XCTAssertEqual(try big.size(250), 3)
        try big.checkIndexed()
    }

    /// A write that removes every entry of a big catalog returns the empty catalog's version,
    /// which a warm writer keeps (its next read is a 304): a write over it is a whole rewrite.
    /// It was spliced over an index of no blocks, and trapped.
    func testAWriteOverABigCatalogEmptiedByTheLastWriteIsWhole() throws {
        _ = try big.seed(0..<400)
        guard case .written(let emptied) = try write((0..<400).map { .missing(BigCatalog.name($0)) }) else { return XCTFail("not written") }
        XCTAssertEqual(String(decoding: big.store.object("b", "images.json")!.bytes, as: UTF8.self), "[]\n")
        let (_, result) = try big.file.write([.exists(BigCatalog.entry(7))], over: emptied, policy: .merge)
        guard case .written = result else { return XCTFail("\(result)") }
        XCTAssertEqual(try big.names(), [BigCatalog.name(7)])
    }

    func testRemovingAWholeWindowGrowsItWithItsNeighbours() throws {
        _ = try big.seed(0..<400)
        guard case .written = try write((180..<230).map { .missing(BigCatalog.name($0)) }) else { return XCTFail("not written") }
        XCTAssertEqual(try big.names(), (0..<400).filter { !(180..<230).contains($0) }.map(BigCatalog.name))
        try big.checkIndexed()
        guard case .written = try write((300..<400).map { .missing(BigCatalog.name($0)) }) else { return XCTFail("not written") }
        XCTAssertEqual(try big.names().last, BigCatalog.name(299), "the end of the file is framed again")
        try big.checkIndexed()
        guard case .written = try write((0..<300).map { .missing(BigCatalog.name($0)) }) else { return XCTFail("not written") }
        XCTAssertEqual(String(decoding: big.store.object("b", "images.json")!.bytes, as: UTF8.self), "[]\n")
    }

    /// Another writer wins while this one copies: the copy of the old version is refused (412),
    /// the upload is aborted, and the caller goes round with the new version.
    func testAConflictMidUploadAbortsTheUpload() throws {
        _ = try big.seed(0..<400)
        let version = try big.file.current()
        var struck = false
        big.store.onRequest = { [store = big.store, file = big.file] line in
            guard line.hasPrefix("COPY"), !struck else { return }
            struck = true
            var other = file
            other.store = store
            _ = try? other.write([.exists(BigCatalog.entry(10, size: 9))], over: try! other.current(), policy: .merge)
        }
        let (_, result) = try big.file.write([.exists(BigCatalog.entry(200, size: 7))], over: version, policy: .merge)
        guard case .conflict = result else { return XCTFail("\(result)") }
        XCTAssertEqual(big.store.requests("ABORT").count, 1)
        XCTAssertTrue(big.store.uploads.isEmpty, "nothing is left half-uploaded")
        big.store.onRequest = nil
        guard case .written = try write([.exists(BigCatalog.entry(200, size: 7))]) else { return XCTFail("not written") }
        XCTAssertEqual(try big.size(10), 9)
        XCTAssertEqual(try big.size(200), 7)
        try big.checkIndexed()
    }

    /// A splice whose completion landed but answered 412 (its answer lost, the retry finding it
    /// there) is written: the current version has the ETag it predicted.
    func testASpliceThatLandedButAnswered412IsWritten() throws {
        let before = try big.seed(0..<400)
        big.store.lostAnswers = 1
        guard case .written(let after) = try write([.exists(BigCatalog.entry(200, size: 7))]) else { return XCTFail("not written") }
        XCTAssertEqual(after.etag, big.store.object("b", "images.json")?.etag)
        XCTAssertEqual(after.index.parent, before.etag)
        XCTAssertEqual(try big.size(200), 7)
        XCTAssertNil(big.store.object("b", big.file.indexKey(before.etag!)), "the old version's index is dropped")
        try big.checkIndexed()
    }

    /// The same when the index sent with that completion failed: written again, then the write
    /// is told by it as above, and the version is not left without an index.
    func testASpliceThatLandedWithoutItsIndexIsWrittenWithIt() throws {
        _ = try big.seed(0..<400)
        big.store.lostAnswers = 1
        big.store.companionFailures = 1
        guard case .written(let after) = try write([.exists(BigCatalog.entry(200, size: 7))]) else { return XCTFail("not written: \(big.store.requests)") }
        XCTAssertEqual(after.etag, big.store.object("b", "images.json")?.etag)
        XCTAssertEqual(try big.size(200), 7)
        try big.checkIndexed()
    }

    /// And when another writer wrote over it before the conflict path read the current ETag:
    /// the retry's 412 makes it look for the version among the current one's ancestors.
    func testASpliceThatLandedButAnswered412AndWasWrittenOverIsWritten() throws {
        let before = try big.seed(0..<400)
        big.store.lostAnswers = 1
        let other = big.file
        big.store.onRequest = { [store = big.store] line in
            guard line.hasPrefix("RANGE b/images.json 0-0") else { return }
            store.onRequest = nil
            _ = try? other.write([.exists(BigCatalog.entry(401))], over: try! other.current(), policy: .merge)
        }
        guard case .written(let landed) = try write([.exists(BigCatalog.entry(200, size: 7))]) else { return XCTFail("not written: \(big.store.requests)") }
        XCTAssertEqual(landed.index.parent, before.etag)
        XCTAssertNotEqual(landed.etag, big.store.object("b", "images.json")?.etag, "written over since")
        XCTAssertEqual(try big.size(200), 7)
        XCTAssertEqual(try big.size(401), 1)
        try big.checkIndexed()
    }

    /// The same when nothing tells it was written over: the current version's index is gone (a
    /// reader rebuilds it later). Its write may have landed: a conflict that says so, whose
    /// caller re-checks its keys, not a plain one that would leave them to nobody.
    func testASpliceThatMayHaveLandedAndCannotBeFoundSaysSo() throws {
        _ = try big.seed(0..<400)
        big.store.lostAnswers = 1
        let other = big.file
        big.store.onRequest = { [store = big.store] line in
            guard line.hasPrefix("RANGE b/images.json 0-0") else { return }
            store.onRequest = nil
            guard case .written(let next)? = try? other.write([.exists(BigCatalog.entry(401))], over: try! other.current(), policy: .merge).result
            else { return XCTFail("the other writer did not write") }
            store.buckets["b"]![ExactKey(other.indexKey(next.etag!))] = nil
        }
        let written = try big.file.write([.exists(BigCatalog.entry(200, size: 7))], over: try big.file.current(), policy: .merge)
        guard case .conflict(mayHaveLanded: true) = written.result else { return XCTFail("\(written.result): \(big.store.requests)") }
        XCTAssertEqual(written.outcomes, [.updated(from: BigCatalog.entry(200))])
        XCTAssertEqual(try big.size(200), 7, "it landed")
    }

    /// A 409 on the completion: the upload is aborted, and the index written for the predicted
    /// version is dropped (it is not the current version's).
    func testA409OnCompletionIsAConflictAndLeavesNoIndex() throws {
        _ = try big.seed(0..<400)
        big.store.onRequest = { [store = big.store] line in if line.hasPrefix("COMPLETE") { store.forcedConflicts = 1 } }
        guard case .conflict = try write([.exists(BigCatalog.entry(200, size: 7))]) else { return XCTFail("not a conflict") }
        XCTAssertEqual(big.store.requests("COMPLETE").last?.hasSuffix("409"), true)
        XCTAssertEqual(big.store.requests("ABORT").count, 1)
        let indexes = big.store.buckets["b"]!.keys.filter { $0.hasPrefix(ExactKey("images.json.index/")) }
        XCTAssertEqual(indexes.count, 1, "only the current version's index")
        try big.checkIndexed()
    }

    /// Where the store cannot predict ETags (SSE-KMS), the index is written right after the
    /// completion, under the ETag it gave.
    func testWithoutPredictionTheIndexFollowsTheCompletion() throws {
        big.store.predictsETags = false
        _ = try big.seed(0..<400)
        guard case .written = try write([.exists(BigCatalog.entry(200, size: 7))]) else { return XCTFail("not written") }
        try big.checkIndexed()
        let indexes = big.store.buckets["b"]!.keys.filter { $0.hasPrefix(ExactKey("images.json.index/")) }
        XCTAssertEqual(indexes.count, 1)
    }
}
