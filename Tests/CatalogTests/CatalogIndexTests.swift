import Basics
import Catalog
import XCTest

final class CatalogIndexTests: XCTestCase {
    let index = CatalogIndex(etag: "abc-3", size: 1_000, blocks: [
        .init(firstName: ExactKey("b"), offset: 0, count: 3, typeBits: 0b01),
        .init(firstName: ExactKey("m"), offset: 300, count: 4, typeBits: 0b10),
        .init(firstName: ExactKey("t\u{E9}"), offset: 700, count: 2, typeBits: 0b11 | CatalogIndex.otherTypes),
    ], types: ["png", "jpg"])

    func testLookupByName() {
        XCTAssertEqual(index.block(containing: ExactKey("a")), 0, "before every name: the first block")
        XCTAssertEqual(index.block(containing: ExactKey("b")), 0)
        XCTAssertEqual(index.block(containing: ExactKey("lzz")), 0)
        XCTAssertEqual(index.block(containing: ExactKey("m")), 1)
        XCTAssertEqual(index.block(containing: ExactKey("t")), 1)
        XCTAssertEqual(index.block(containing: ExactKey("t\u{E9}")), 2)
        XCTAssertEqual(index.block(containing: ExactKey("zz")), 2)
        XCTAssertEqual(index.range(of: 1), 300..<700)
        XCTAssertEqual(index.range(of: 1..<3), 300..<1_000)
        XCTAssertEqual(index.count, 9)
    }

    func testTypeBitsForAFilter() {
        XCTAssertEqual(index.typeBits { $0 == "jpg" }, 0b10 | CatalogIndex.otherTypes)
    }

    func testJSONRoundTripAndWhatIsRefused() throws {
        let text = String(decoding: index.serialized(), as: UTF8.self)
        XCTAssertTrue(text.hasPrefix(#"{"version":1,"etag":"abc-3","size":1000,"types":["png","jpg"],"blocks":[["b",0,3,"0000000000000001"]"#), text)
        XCTAssertEqual(CatalogIndex(parsing: index.serialized()), index)
        for broken in [
            text.replacingFirst(#""version":1"#, #""version":2"#),
            text.replacingFirst(#"["b",0,"#, #"["b",5,"#),                  // the first block must start at 0
            text.replacingFirst(#"["m",300"#, #"["a",300"#),                // names must rise
            text.replacingFirst(#"["m",300"#, #"["m",0"#),                  // offsets must rise
            text.replacingFirst(#""size":1000"#, #""size":500"#),           // a block past the end
            text.replacingFirst(#"["b",0,3,"#, #"["b",0,9223372036854775807,"#),   // more entries than bytes (a sum would overflow)
            text.replacingFirst(#""types":["png","jpg"]"#, #""types":["png","png"]"#),   // a type twice: the bits would shift
            "not json",
        ] {
            XCTAssertNil(CatalogIndex(parsing: Array(broken.utf8)), broken)
        }
    }

    func testAncestorsAndPrefixRoundTripAndAnOlderIndexNamesItsParentOnly() throws {
        var full = index
        full.ancestors = ["p1", "p2", "p3"]
        full.prefix = CatalogIndex.Prefix(anchor: "x1", length: 300, base: "b-1")
        let text = String(decoding: full.serialized(), as: UTF8.self)
        XCTAssertTrue(text.contains(#""parent":"p1","ancestors":["p1","p2","p3"],"prefix":{"anchor":"x1","length":300,"base":"b-1"}"#), text)
        XCTAssertEqual(CatalogIndex(parsing: full.serialized()), full)
        XCTAssertEqual(full.ancestryOfNext, ["abc-3", "p1", "p2", "p3"])
        // An index written before ancestors were listed: its parent is its one ancestor.
        let older = try XCTUnwrap(CatalogIndex(parsing: Array(text.replacingFirst(#","ancestors":["p1","p2","p3"]"#, "").utf8)))
        XCTAssertEqual(older.ancestors, ["p1"])
        XCTAssertNil(CatalogIndex(parsing: Array(text.replacingFirst(#""ancestors":["p1""#, #""ancestors":["p9""#).utf8)),
                     "the first ancestor is the parent")
        var long = index
        long.ancestors = (0..<40).map { "e\($0)" }
        XCTAssertEqual(long.ancestryOfNext.count, CatalogIndex.maxAncestors)
    }

    func testBlockTargetGrowsForHugeCatalogs() {
        XCTAssertEqual(CatalogIndex.blockTarget(forSize: 176_000_000), 64 * 1024)
        XCTAssertEqual(CatalogIndex.blockTarget(forSize: 1_760_000_000), 1_760_000_000 / 8192)
    }
}

extension String {
    func replacingFirst(_ target: String, _ replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
