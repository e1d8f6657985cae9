import Basics
import Catalog
import CatalogFile
import JSON
import Storage
import TestSupport
import XCTest

/// A catalog "big" by the file's knobs, not by its bytes: every size is made small (parts of
/// 1 KiB, windows of 2 KiB, blocks of 64 KiB become a few entries each…) so that a few hundred
/// entries take every path a million do: probe, index, windows, copies, chunks.
struct BigCatalog {
    let store = MemoryStore()
    var file: CatalogFile

    init() {
        store.minPartSize = 1024
        file = CatalogFile.tiny(store: store)
    }

    static func name(_ i: Int) -> String { "images/" + String(100_000 + i) + ".png" }

    static func entry(_ i: Int, size: Int64 = 1) -> CatalogEntry {
        CatalogEntry(name: name(i), type: i % 5 == 0 ? "jpg" : "png", size: size, extra: ["etag": .string("e\(i)")])
    }

    /// Writes entries for `indices` into an empty catalog, through the file.
    func seed(_ indices: some Sequence<Int>) throws -> CatalogVersion {
        let observations = Observation.sortedLatest(indices.map { .exists(Self.entry($0)) })
        let (_, result) = try file.write(observations, over: try file.current(), policy: .merge)
        guard case .written(let version) = result else { throw MemoryStoreError("seed: \(result)") }
        return version
    }

    /// The stored catalog's names, read whole as any client would.
    func names() throws -> [String] { try Catalog(parsing: store.object("b", "images.json")!.bytes).names }

    /// The size the stored catalog, read whole, gives entry `i` (`nil`: no such entry).
    func size(_ i: Int) throws -> Int64? { try Catalog(parsing: store.object("b", "images.json")!.bytes)[Self.name(i)]?.size }

    /// The stored catalog is in imagecat's form and its index says exactly where everything is.
    func checkIndexed(file path: StaticString = #filePath, line: UInt = #line) throws {
        let object = try XCTUnwrap(store.object("b", "images.json"), file: path, line: line)
        let run = try EntryRun(object.bytes, atFileStart: true, atFileEnd: true)
        let indexBytes = try XCTUnwrap(store.object("b", file.indexKey(object.etag))?.bytes, "no index for \(object.etag)",
                                       file: path, line: line)
        let index = try XCTUnwrap(CatalogIndex(parsing: indexBytes), file: path, line: line)
        XCTAssertEqual(index.etag, object.etag, file: path, line: line)
        XCTAssertEqual(index.size, Int64(object.bytes.count), file: path, line: line)
        XCTAssertEqual(index.count, run.count, file: path, line: line)
        for (i, block) in index.blocks.enumerated() {
            let stretch = Array(object.bytes[Int(index.range(of: i).lowerBound)..<Int(index.range(of: i).upperBound)])
            let blockRun = try EntryRun(stretch, atFileStart: i == 0, atFileEnd: i == index.blocks.count - 1)
            XCTAssertEqual(blockRun.count, block.count, "block \(i)", file: path, line: line)
            XCTAssertEqual(Array(blockRun.nameBytes(0)), block.firstName.bytes, "block \(i)", file: path, line: line)
            for k in 0..<blockRun.count {
                let bit = index.typeBits { $0 == blockRun.items[k].type } & ~CatalogIndex.otherTypes
                XCTAssertNotEqual(block.typeBits & bit, 0, "block \(i): its bits name its types", file: path, line: line)
            }
        }
    }
}
