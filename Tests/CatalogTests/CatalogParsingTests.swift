import Catalog
import JSON
import XCTest

final class CatalogParsingTests: XCTestCase {
    func testEmptyCatalogs() throws {
        XCTAssertEqual(text(Catalog().canonical()), "[]\n")
        let parsed = try Catalog(parsing: bytes(" [ ] "))
        XCTAssertEqual(parsed.count, 0)
        XCTAssertFalse(parsed.isCanonical)
        XCTAssertEqual(text(parsed.canonical()), "[]\n")
        XCTAssertTrue(try Catalog(parsing: bytes("[]\n")).isCanonical)
    }

    /// Any order reads; imagecat's form is sorted by name (what an older imagecat wrote, in
    /// arrival order, is converted by the next write).
    func testParsesEntriesInAnyOrderAndSortsThem() throws {
        let file = catalogFile([
            #"{"name":"b.png","type":"png","size":2}"#,
            #"{"name":"a.jpg","type":"jpg","size":0,"width":10}"#,
        ])
        let catalog = try Catalog(parsing: bytes(file))
        XCTAssertEqual(catalog.count, 2)
        XCTAssertEqual(catalog.names, ["a.jpg", "b.png"])
        XCTAssertEqual(catalog["a.jpg"], entry("a.jpg", "jpg", 0, ["width": .number("10")]))
        XCTAssertEqual(catalog.entries.map(\.size), [0, 2])
        XCTAssertNil(catalog["c.gif"])
        XCTAssertNil(catalog["B.png"])
        XCTAssertFalse(catalog.isCanonical)
        XCTAssertEqual(text(catalog.canonical()), catalogFile([
            #"{"name":"a.jpg","type":"jpg","size":0,"width":10}"#,
            #"{"name":"b.png","type":"png","size":2}"#,
        ]))
        XCTAssertTrue(try Catalog(parsing: catalog.canonical()).isCanonical)
    }

    func testExtraMembersArePreservedByteForByte() throws {
        // Escapes, number literals, nested values and member order stay exactly as they were,
        // even where a rewrite would spell them differently.
        let untouched = #"{"etag":"\"abc\"","name":"caf\u00e9\/x.png","size":12345678901234567890123,"#
            + #""type":"png"}"#
        XCTAssertThrowsError(try Catalog(parsing: bytes(catalogFile([untouched]))))  // size too large
        let lines = [
            #"{"etag":"\"abc\"","name":"caf\u00e9\/x.png","size":17,"type":"png","ratio":1.50,"big":12345678901234567890,"tags":["a",{"k":null}],"ok":true,"e":1E+2}"#,
            #"{"name":"other.png","type":"png","size":3}"#,
        ]
        let catalog = try Catalog(parsing: bytes(catalogFile(lines)))
        XCTAssertEqual(text(catalog.canonical()), catalogFile(lines))
        XCTAssertEqual(catalog["café/x.png"]?.extra["big"], .number("12345678901234567890"))
        XCTAssertEqual(catalog["café/x.png"]?.extra.members.map(\.key), ["etag", "ratio", "big", "tags", "ok", "e"])

        // Changing other entries leaves this one's bytes alone.
        let (outcomes, file) = try applied(catalogFile(lines), upserts(entry("other.png", "png", 4), entry("new.png")))
        XCTAssertEqual(outcomes, [.added, .updated(from: entry("other.png", "png", 3))])
        XCTAssertEqual(file, catalogFile([
            lines[0], #"{"name":"new.png","type":"png","size":1}"#, #"{"name":"other.png","type":"png","size":4}"#,
        ]))
    }

    func testPrettyPrintedEntriesAreWrittenOnePerLine() throws {
        let file = """
            [
              {
                "name": "a b+c.png",
                "type": "png",
                "size": 5,
                "note": "two  spaces\\tand a tab"
              },
              {"name":"d.png","type":"png","size":6}
            ]
            """
        let catalog = try Catalog(parsing: bytes(file))
        XCTAssertFalse(catalog.isCanonical)  // same content; only the layout differs
        XCTAssertEqual(text(catalog.canonical()), catalogFile([
            #"{"name":"a b+c.png","type":"png","size":5,"note":"two  spaces\tand a tab"}"#,
            #"{"name":"d.png","type":"png","size":6}"#,
        ]))
    }

    func testEscapedNamesMatchTheirDecodedForm() throws {
        let catalog = try Catalog(parsing: bytes(#"[{"name":"a\u0020b\/\u00e9.png","type":"png","size":1}]"#))
        XCTAssertNotNil(catalog["a b/é.png"])
    }

    func testDuplicatesCollapseAndTheLastWins() throws {
        let file = catalogFile([
            #"{"name":"a.png","type":"png","size":1}"#,
            #"{"name":"b.png","type":"png","size":2}"#,
            #"{"name":"a.png","type":"png","size":3,"w":1}"#,
            #"{"name":"c.png","type":"png","size":4}"#,
            #"{"name":"a.png","type":"png","size":5}"#,
            #"{"name":"c.png","type":"png","size":6}"#,
        ])
        let catalog = try Catalog(parsing: bytes(file))
        XCTAssertEqual(catalog.count, 3)
        XCTAssertEqual(catalog.duplicatesRemoved, 3)
        XCTAssertFalse(catalog.isCanonical)
        XCTAssertEqual(text(catalog.canonical()), catalogFile([
            #"{"name":"a.png","type":"png","size":5}"#,
            #"{"name":"b.png","type":"png","size":2}"#,
            #"{"name":"c.png","type":"png","size":6}"#,
        ]))
        // Once written, the file reads clean.
        let rewritten = try Catalog(parsing: catalog.canonical())
        XCTAssertEqual(rewritten.duplicatesRemoved, 0)
        XCTAssertTrue(rewritten.isCanonical)
    }

    func testDuplicatesAreFoundAcrossEscapes() throws {
        let catalog = try Catalog(parsing: bytes(
            #"[{"name":"\u0061.png","type":"png","size":1},{"name":"a.png","type":"png","size":2}]"#))
        XCTAssertEqual(catalog.count, 1)
        XCTAssertEqual(catalog.duplicatesRemoved, 1)
        XCTAssertEqual(catalog["a.png"]?.size, 2)
    }
}
