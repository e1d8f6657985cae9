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
        _ = try big.file.current(cached: version)
        XCTAssertEqual(big.store.requests, ["RANGE b/images.json 0-0 if-none-match \(version.etag!) -> 304"])
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

    /// A big catalog pretty-printed (`jq .`: `,\n` inside every entry, so a chunk is cut in
    /// the middle of one) is valid: read whole and converted, not refused as corrupt.
    func testAPrettyPrintedBigCatalogIsConverted() throws {
        let pretty = (0..<400).map { i in
            "  {\n    \"name\": \"\(BigCatalog.name(i))\",\n    \"type\": \"png\",\n    \"size\": \(i)\n  }"
        }
        big.store.put("b", "images.json", "[\n" + pretty.joined(separator: ",\n") + "\n]\n")
        let version = try big.file.current()
        XCTAssertTrue(version.needsConversion)
        XCTAssertEqual(version.whole?.count, 400)
        guard case .written = try big.file.write([], over: version, policy: .merge).result else { return XCTFail("not written") }
        XCTAssertEqual(try big.names(), (0..<400).map(BigCatalog.name))
        try big.checkIndexed()
    }

    /// One entry hand-split after a comma (`"etag":"e1",` then `"size":1}` on the next line) is
    /// valid JSON; read a chunk at a time, a stretch is cut at that line break, inside the
    /// entry. The file is read whole and converted, not refused as corrupt.
    func testAnEntrySplitAcrossLinesAtAChunkBoundaryIsConverted() throws {
        var entries = lines(0..<400)
        entries[30] = entries[30].replacingOccurrences(of: #"","type":"#, with: "\",\n\"type\":")
        let text = "[\n" + entries.joined(separator: ",\n") + "\n]\n"
        let splitEntry = Array(text.utf8).firstRange(of: Array(entries[30].utf8))!.lowerBound
        big.file.chunkBytes = splitEntry + 40                // the first chunk ends inside entry 30, past its line break
        big.store.put("b", "images.json", text)
        let version = try big.file.current()
        XCTAssertTrue(version.needsConversion)
        XCTAssertEqual(version.whole?.count, 400)
        XCTAssertEqual(version.whole.map { String(decoding: $0.nameBytes(30), as: UTF8.self) }, BigCatalog.name(30))
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

    /// A one-line catalog read a chunk at a time has no line to cut at: it is refused after a
    /// chunk, not held whole in memory (176 MB in a 128 MB function) before the form is checked.
    func testAOneLineCatalogIsRefusedAfterAChunkNotHeldWhole() throws {
        big.file.wholeBudget = 10_000
        big.file.chunkBytes = 1024
        let text = "[" + lines(0..<400).joined(separator: ",") + "]"
        big.store.put("b", "images.json", text)
        big.store.requests = []
        XCTAssertThrowsError(try big.file.current()) { error in
            guard case CatalogFileError.tooBigToConvert = error else { return XCTFail("\(error)") }
        }
        let chunks = big.store.requests("RANGE b/images.json ").filter { $0.contains(" if-match ") }
        XCTAssertEqual(chunks.count, 1, "one chunk of \(text.utf8.count / 1024): \(big.store.requests)")
        XCTAssertEqual(big.store.text("b", "images.json"), text)
    }

    /// A block read short (a server or proxy that cuts the body) is the read's fault, neither
    /// the catalog's nor the index's: a storage failure (its records come back), the index kept.
    /// It was refused as corrupt, and every invocation failed on that version.
    func testABlockReadShortIsAStorageFailureNotCorrupt() throws {
        let version = try big.seed(0..<400)
        let read = try big.file.current()
        big.store.rangeBytesLimit = 100
        XCTAssertThrowsError(try big.file.entries(of: read, blocks: [2..<3])) { error in
            guard case CatalogFileError.storage(let cause) = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(cause)".contains("came back 100 bytes long"), "\(cause)")
        }
        XCTAssertNotNil(big.store.object("b", big.file.indexKey(version.etag!)), "kept: it describes the bytes")
        big.store.rangeBytesLimit = nil
        XCTAssertEqual(try big.file.entries(of: read, blocks: [2..<3])[0].count, version.index.blocks[2].count)
    }

    /// A server that ignores `If-Match` on a ranged read answers a block of the version read
    /// with the current one's bytes; where they still fit the old index (an entry rewritten at
    /// the same length) they were taken for the old version's. The answer's ETag tells.
    func testABlockAnsweredFromAnotherVersionIsAChange() throws {
        _ = try big.seed(0..<400)
        let read = try big.file.current()
        var edited = lines(0..<400)
        edited[250] = edited[250].replacingOccurrences(of: "\"size\":1", with: "\"size\":2")
        XCTAssertNotEqual(edited[250], lines(250..<251)[0])
        big.store.put("b", "images.json", "[\n" + edited.joined(separator: ",\n") + "\n]\n")
        big.store.readsIgnoreIfMatch = true
        let blocks = 0..<read.index.blocks.count
        XCTAssertThrowsError(try big.file.entries(of: read, blocks: [blocks])) { error in
            guard case CatalogFileError.changed = error else { return XCTFail("\(error)") }
        }
    }

    /// A bad entry deep in a big catalog is found and named, as corrupt; also in one too big to
    /// read whole, where the cut stretch it fails in is not taken for a hand edit (which would
    /// say "sort it once").
    func testACorruptEntryDeepInABigCatalogIsFoundAndNamed() throws {
        var broken = lines(0..<400)
        broken[333] = #"{"name":"images/100333.png","type":"png"}"#
        big.store.put("b", "images.json", "[\n" + broken.joined(separator: ",\n") + "\n]\n")
        for (wholeBudget, chunkBytes) in [(big.file.wholeBudget, big.file.chunkBytes), (10_000, 1024)] {
            (big.file.wholeBudget, big.file.chunkBytes) = (wholeBudget, chunkBytes)
            XCTAssertThrowsError(try big.file.current()) { error in
                guard case CatalogFileError.corrupt(let problem) = error else { return XCTFail("\(error)") }
                XCTAssertTrue("\(problem)".contains(#"missing "size""#), "\(problem)")
            }
        }
    }

    /// An index whose blocks do not match the bytes (it should never happen) is dropped, and the
    /// next read indexes the catalog again.
    func testAnIndexThatLiesIsDropped() throws {
        try assertDroppedWhenRead(blocks: 2..<3) { $0.blocks[2].offset += 3 }
    }

    /// An index whose offsets and counts are right but which names a block by another first
    /// name is dropped when a block is parsed, not only when one is carried: the names route
    /// every observation (a delete of that block's first entry went to the block before, found
    /// nothing, and was answered as done).
    func testAnIndexThatMisnamesAParsedBlockIsDropped() throws {
        try assertDroppedWhenRead(blocks: 2..<5) { $0.blocks[3].firstName = ExactKey($0.blocks[3].firstName.string + "~") }  // still before block 4's
    }

    /// Seeds 400 entries, stores their index changed by `lie`, and checks that reading `blocks`
    /// finds it out: `.changed`, the index dropped, and the next read indexes the version again.
    func assertDroppedWhenRead(blocks: Range<Int>, _ lie: (inout CatalogIndex) -> Void,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let version = try big.seed(0..<400)
        var lying = version.index
        lie(&lying)
        big.store.put("b", big.file.indexKey(version.etag!), bytes: lying.serialized())
        let read = try big.file.current()
        XCTAssertThrowsError(try big.file.entries(of: read, blocks: [blocks]), file: file, line: line) { error in
            guard case CatalogFileError.changed = error else { return XCTFail("\(error)", file: file, line: line) }
        }
        XCTAssertNil(big.store.object("b", big.file.indexKey(version.etag!)), "dropped, to be indexed again", file: file, line: line)
        XCTAssertEqual(try big.file.current().index, version.index, file: file, line: line)
    }

    /// An index that lies and cannot be deleted is distrusted: the version is indexed afresh,
    /// and that rebuilt version, cached, is confirmed by a 304 like any other (not read whole
    /// again on every read). The distrust names the bucket: the same bytes and index in
    /// another bucket are read by their index.
    func testADistrustedIndexIsRebuiltOnceAndOnlyInItsBucket() throws {
        let version = try big.seed(0..<400)
        var lying = version.index
        lying.blocks[2].offset += 3
        let indexKey = big.file.indexKey(version.etag!)
        for bucket in ["b", "c"] { big.store.put(bucket, indexKey, bytes: lying.serialized()) }
        let stored = try XCTUnwrap(big.store.object("b", "images.json"))
        big.store.put("c", "images.json", bytes: stored.bytes, etag: stored.etag)
        big.store.deleteError = MemoryStoreError("403 AccessDenied")
        let read = try big.file.current()
        XCTAssertThrowsError(try big.file.entries(of: read, blocks: [2..<3])) { error in
            guard case CatalogFileError.changed = error else { return XCTFail("\(error)") }
        }
        let rebuilt = try big.file.current(cached: read)
        XCTAssertEqual(rebuilt.index, version.index, "indexed afresh, not by the index that stayed")
        XCTAssertNotNil(big.store.object("b", indexKey), "still there: it could not be deleted")
        big.store.requests = []
        XCTAssertEqual(try big.file.current(cached: rebuilt).index, version.index)
        XCTAssertEqual(big.store.requests, ["RANGE b/images.json 0-0 if-none-match \(version.etag!) -> 304"])
        var other = big.file
        other.bucket = "c"
        big.store.requests = []
        XCTAssertEqual(try other.current().index, lying, "another bucket's index is its own")
        XCTAssertTrue(big.store.requests.contains { $0.hasPrefix("GET c/\(indexKey)") }, "\(big.store.requests)")
    }

    /// An index that cannot be read (garbled, or a newer imagecat's) is replaced when the version
    /// is indexed again: left, every cold reader would read 176 MB again to index it.
    func testAnUnreadableIndexIsReplaced() throws {
        let version = try big.seed(0..<400)
        big.store.put("b", big.file.indexKey(version.etag!), "{}")
        XCTAssertEqual(try big.file.current().index, version.index)
        let stored = try XCTUnwrap(big.store.object("b", big.file.indexKey(version.etag!)))
        XCTAssertEqual(CatalogIndex(parsing: stored.bytes), version.index)
    }

    func testAnIndexThatMiscountsABlockIsDropped() throws {
        try assertDroppedWhenRead(blocks: 2..<3) { $0.blocks[2].count -= 1 }           // offsets right, the count wrong
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
