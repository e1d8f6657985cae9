import Basics
import Catalog
import CatalogFile
import JSON
import Storage
import TestSupport
import XCTest

/// Reading a version: small whole, big by its index, and what happens when there is no index
/// for it (a hand edit, an older imagecat, an index lost).
final class CatalogFileReadTests: XCTestCase {
    var big = BigCatalog()

    func lines(_ range: Range<Int>) -> [String] { range.map { String(decoding: BigCatalog.entry($0).serialized(), as: UTF8.self) } }

    func testAMissingCatalogIsAnEmptyOne() throws {
        let version = try big.file.current()
        XCTAssertNil(version.etag)
        XCTAssertEqual(version.whole?.count, 0)
    }

    func testAZeroByteCatalogIsCorrupt() {
        big.store.put("b", "images.json", bytes: [])
        XCTAssertThrowsError(try big.file.current()) { error in
            guard case CatalogFileError.corrupt = error else { return XCTFail("\(error)") }
        }
    }

    func testACachedVersionIsConfirmedWithoutBytes() throws {
        let version = try big.seed(0..<400)
        big.store.requests = []
        big.store.roundTrips = 0
        _ = try big.file.current(cached: version)
        // The latest index is the one this writer wrote: no bytes either.
        let latest = try XCTUnwrap(version.latestIndexETag)
        XCTAssertEqual(big.store.requests, ["RANGE b/images.json 0-0 if-none-match \(version.etag!) -> 304",
                                            "RANGE b/images.json.index/latest 0-4194303 if-none-match \(latest) -> 304"])
        XCTAssertEqual(big.store.roundTrips, 1)
    }

    /// A writer that knows the catalog is big reads the latest index beside the version: a
    /// version another writer replaced costs one round trip, not two (the version, then its index).
    func testAReplacedBigVersionComesWithTheLatestIndexInOneRoundTrip() throws {
        let mine = try big.seed(0..<400)
        let other = big.file
        guard case .written(let theirs) = try other.write([.exists(BigCatalog.entry(400))], over: mine, policy: .merge).result else {
            return XCTFail("not written")
        }
        big.store.requests = []
        big.store.roundTrips = 0
        let read = try big.file.current(cached: mine)
        XCTAssertEqual(read.etag, theirs.etag)
        XCTAssertEqual(read.index, theirs.index)
        XCTAssertEqual(big.store.roundTrips, 1, "\(big.store.requests)")
        XCTAssertEqual(big.store.requests("GET"), [])
    }

    /// Two writers over the same version: the latest index is written `If-Match` the one both
    /// read, so when the winner's lands first (the usual order: the loser's completion is the
    /// later one, and its companions go with it) the loser's is refused, and `latest` names the
    /// version that won rather than the last writer's. Sent at once on S3, the two can land the
    /// other way round: then `latest` names the loser's version, and readers ask by ETag.
    func testALosersLatestIndexDoesNotReplaceTheWinners() throws {
        let seeded = try big.seed(0..<400)
        guard case .written = try big.file.write([.exists(BigCatalog.entry(400))], over: seeded, policy: .merge).result else {
            return XCTFail("not written")
        }
        let read = try big.file.current(cached: seeded)
        let hint = try XCTUnwrap(read.latestIndexETag)
        // The other writer completes while this one's completion is on its way.
        var winner: CatalogVersion?
        var raced = false
        big.store.onRequest = { [file = big.file] line in
            guard !raced, line.hasPrefix("PUT b/\(file.indexPrefix)") else { return }
            raced = true
            if case .written(let version)? = try? file.write([.exists(BigCatalog.entry(401))], over: read, policy: .merge).result {
                winner = version
            }
        }
        guard case .conflict = try big.file.write([.exists(BigCatalog.entry(402))], over: read, policy: .merge).result else {
            return XCTFail("not a conflict")
        }
        let won = try XCTUnwrap(winner)
        XCTAssertEqual(big.store.requests("PUT b/\(big.file.latestIndexKey)").suffix(2),
                       ["PUT b/\(big.file.latestIndexKey) if-match \(hint) (with the completion) -> 200",
                        "PUT b/\(big.file.latestIndexKey) if-match \(hint) (with the completion) -> 412"], "the winner's, then the loser's")
        let latest = try XCTUnwrap(CatalogIndex(parsing: big.store.object("b", big.file.latestIndexKey)!.bytes))
        XCTAssertEqual(latest.etag, won.etag)
        XCTAssertEqual(latest.size, won.size)
    }

    /// The latest index is a hint: one that names another version (a writer that lost its
    /// completion wrote it last, or a version written with one PutObject) is not used.
    func testALatestIndexOfAnotherVersionIsNotUsed() throws {
        let mine = try big.seed(0..<400)
        guard case .written(let theirs) = try big.file.write([.exists(BigCatalog.entry(400))], over: mine, policy: .merge).result else {
            return XCTFail("not written")
        }
        var lost = theirs.index
        lost.etag = "0123456789abcdef-2"
        big.store.put("b", big.file.latestIndexKey, bytes: lost.serialized())
        big.store.requests = []
        let read = try big.file.current(cached: mine)
        XCTAssertEqual(read.index, theirs.index)
        XCTAssertEqual(big.store.requests("GET"), ["GET b/\(big.file.indexKey(theirs.etag!)) -> 200"])
    }

    /// An index written for an older version says nothing about the current one: the catalog is
    /// read once, checked, and indexed again under its own ETag.
    func testAVersionWithoutAnIndexIsIndexedAgain() throws {
        let old = try big.seed(0..<400)
        let edited = "[\n" + lines(0..<401).joined(separator: ",\n") + "\n]\n"      // a hand edit, in imagecat's form
        big.store.put("b", "images.json", edited)
        XCTAssertNotNil(big.store.object("b", big.file.indexKey(old.etag!)), "the older version's index is still there")
        big.store.requests = []
        let version = try big.file.current()
        XCTAssertNil(version.whole)
        XCTAssertEqual(version.index.count, 401)
        try big.checkIndexed()
        let reads = big.store.requests("RANGE b/images.json ").dropFirst()
        XCTAssertEqual(reads.count, (edited.utf8.count + big.file.chunkBytes - 1) / big.file.chunkBytes, "read in chunks: \(reads)")
    }

    /// A writer that still has the version before a hand edit: the latest index has not changed
    /// (a 304, no bytes) and names the version before, so the edit is read and indexed again.
    func testAnUnchangedLatestIndexDoesNotDescribeAChangedCatalog() throws {
        let old = try big.seed(0..<400)
        big.store.put("b", "images.json", "[\n" + lines(0..<401).joined(separator: ",\n") + "\n]\n")
        big.store.requests = []
        let version = try big.file.current(cached: old)
        XCTAssertEqual(big.store.requests("RANGE b/images.json.index/latest"),
                       ["RANGE b/images.json.index/latest 0-4194303 if-none-match \(old.latestIndexETag!) -> 304"])
        XCTAssertEqual(version.index.count, 401)
        XCTAssertEqual(version.latestIndexETag, old.latestIndexETag)
        try big.checkIndexed()
    }

    /// A hand edit that is valid but not in imagecat's form (one line, other order): read whole,
    /// converted, and written in imagecat's form by the next write even if it changes nothing.
    func testAHandEditedOneLineCatalogIsConvertedByTheNextWrite() throws {
        var shuffled = lines(0..<400)
        shuffled.swapAt(3, 300)
        big.store.put("b", "images.json", "[" + shuffled.joined(separator: ",") + "]")
        let version = try big.file.current()
        XCTAssertTrue(version.needsConversion)
        XCTAssertEqual(version.whole?.count, 400)
        let (_, result) = try big.file.write([], over: version, policy: .merge)
        guard case .written = result else { return XCTFail("\(result)") }
        XCTAssertEqual(try big.names(), (0..<400).map(BigCatalog.name))
        try big.checkIndexed()
    }

    func testACatalogTooBigToConvertIsRefusedAndLeftAlone() throws {
        big.file.wholeBudget = 10_000
        let text = "[" + lines(0..<400).reversed().joined(separator: ",") + "]"
        big.store.put("b", "images.json", text)
        XCTAssertThrowsError(try big.file.current()) { error in
            guard case CatalogFileError.tooBigToConvert(let size, 10_000) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(size, Int64(text.utf8.count))
            XCTAssertTrue("\(error)".contains("sort it once"), "\(error)")
        }
        XCTAssertEqual(big.store.text("b", "images.json"), text)
    }

    func testACorruptEntryDeepInABigCatalogIsFoundAndNamed() throws {
        var broken = lines(0..<400)
        broken[333] = #"{"name":"images/100333.png","type":"png"}"#
        big.store.put("b", "images.json", "[\n" + broken.joined(separator: ",\n") + "\n]\n")
        XCTAssertThrowsError(try big.file.current()) { error in
            guard case CatalogFileError.corrupt(let problem) = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(problem)".contains(#"missing "size""#), "\(problem)")
        }
    }

    /// An index whose blocks do not match the bytes (it should never happen) is dropped, and the
    /// next read indexes the catalog again.
    func testAnIndexThatLiesIsDropped() throws {
        let version = try big.seed(0..<400)
        var lying = version.index
        lying.blocks[2].offset += 3
        big.store.put("b", big.file.indexKey(version.etag!), bytes: lying.serialized())
        let read = try big.file.current()
        XCTAssertThrowsError(try big.file.entries(of: read, blocks: [2..<3])) { error in
            guard case CatalogFileError.changed = error else { return XCTFail("\(error)") }
        }
        XCTAssertNil(big.store.object("b", big.file.indexKey(version.etag!)))
        XCTAssertEqual(try big.file.current().index.count, 400)
    }

    func testAnIndexThatMiscountsABlockIsDropped() throws {
        let version = try big.seed(0..<400)
        var lying = version.index
        lying.blocks[2].count -= 1                         // offsets right, the count wrong
        big.store.put("b", big.file.indexKey(version.etag!), bytes: lying.serialized())
        let read = try big.file.current()
        XCTAssertThrowsError(try big.file.entries(of: read, blocks: [2..<3])) { error in
            guard case CatalogFileError.changed = error else { return XCTFail("\(error)") }
        }
        XCTAssertNil(big.store.object("b", big.file.indexKey(version.etag!)), "dropped, to be indexed again")
        XCTAssertEqual(try big.file.current().index, version.index)
    }

    /// Names must rise across the stretches a reindex reads (a hand edit that swaps the entries
    /// either side of a chunk boundary): such a catalog is not in imagecat's form, so it is read
    /// whole and converted, never indexed as it is.
    func testNamesOutOfOrderAcrossAChunkBoundaryAreCaught() throws {
        let version = try big.seed(0..<400)
        big.store.delete("b", big.file.indexKey(version.etag!))
        var lines = String(decoding: big.store.object("b", "images.json")!.bytes, as: UTF8.self).components(separatedBy: "\n")
        // The last entry line that ends inside the first chunk, and the one after it.
        var position = 0, last = 0
        for (i, line) in lines.enumerated() where i > 0 {
            position += lines[i - 1].utf8.count + 1
            if position + line.utf8.count + 1 <= big.file.chunkBytes { last = i }
        }
        XCTAssertEqual(lines[last].utf8.count, lines[last + 1].utf8.count, "same lengths: the boundary stays put")
        XCTAssertTrue(lines[last].hasSuffix(",") && lines[last + 1].hasSuffix(","), "two entries inside the array")
        lines.swapAt(last, last + 1)
        big.store.put("b", "images.json", lines.joined(separator: "\n"))
        let read = try big.file.current()
        XCTAssertNotNil(read.whole, "read whole to be converted, not indexed as it is")
        XCTAssertTrue(read.needsConversion)
        XCTAssertEqual(read.whole.map { run in (0..<run.count).map { String(decoding: run.nameBytes($0), as: UTF8.self) } },
                       (0..<400).map(BigCatalog.name))
    }
}
