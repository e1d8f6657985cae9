import Basics
import Catalog
import CatalogFile
import Storage
import TestSupport
import XCTest
/// Whether a write was kept, where completions are not atomic: found among the current
/// version's ancestors with one read, however many writes followed it (each drops the index of
/// the version it replaced).
final class CatalogFileKeptTests: XCTestCase {
    var big = BigCatalog()

    func write(_ i: Int) throws -> CatalogVersion {
        let result = try big.file.write([.exists(BigCatalog.entry(i))], over: try big.file.current(), policy: .merge).result
        guard case .written(let version) = result else { throw MemoryStoreError("not written: \(result)") }
        return version
    }

    func testAVersionFollowedByManyWritesIsKept() throws {
        let first = try big.seed(0..<300)
        let mine = try write(300)
        for i in 301..<306 { _ = try write(i) }
        XCTAssertNil(big.store.object("b", big.file.indexKey(mine.etag!)), "its index was dropped")
        big.store.requests = []
        XCTAssertTrue(try big.file.isKept(mine, over: first.etag))
        XCTAssertEqual(big.store.requests("GET").count, 1, "one index read: \(big.store.requests)")
        let current = try big.file.current()
        XCTAssertEqual(current.index.ancestors.count, 6)
        XCTAssertEqual(current.index.ancestors.suffix(2), [mine.etag!, first.etag!])
    }

    func testAVersionLostToARacingCompletionIsNotKept() throws {
        let first = try big.seed(0..<300)
        let mine = try write(300)
        // A racer over the same parent whose completion landed after it (same bytes, another
        // ETag), then more writes.
        var racer = try XCTUnwrap(CatalogIndex(parsing: big.store.object("b", big.file.indexKey(mine.etag!))!.bytes))
        racer.etag = "racer"
        racer.ancestors = [first.etag!]
        big.store.put("b", "images.json", bytes: big.store.object("b", "images.json")!.bytes, etag: "racer")
        big.store.put("b", big.file.indexKey("racer"), bytes: racer.serialized())
        for i in 301..<304 { _ = try write(i) }
        XCTAssertFalse(try big.file.isKept(mine, over: first.etag))
        XCTAssertTrue(try big.file.current().index.ancestors.contains("racer"))
    }
}
