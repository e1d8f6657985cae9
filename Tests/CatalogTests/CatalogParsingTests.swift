import Catalog
import JSON
import XCTest

final class CatalogParsingTests: XCTestCase {
    func testEmptyCatalogs() throws {
        XCTAssertEqual(text(Catalog().serialized()), "[]\n")
        let parsed = try Catalog(parsing: bytes(" [ ] "))
        XCTAssertEqual(parsed.count, 0)
        XCTAssertTrue(parsed.isEmpty)
        XCTAssertFalse(parsed.isModified)
        XCTAssertEqual(text(parsed.serialized()), "[]\n")
    }

    func testParsesEntriesInOrder() throws {
        let file = catalogFile([
            #"{"name":"b.png","type":"png","size":2}"#,
            #"{"name":"a.jpg","type":"jpg","size":0,"width":10}"#,
        ])
        let catalog = try Catalog(parsing: bytes(file))
        XCTAssertEqual(catalog.count, 2)
        XCTAssertEqual(catalog.names, ["b.png", "a.jpg"])
        XCTAssertEqual(catalog["a.jpg"], entry("a.jpg", "jpg", 0, ["width": .number("10")]))
        XCTAssertEqual(catalog.entries.map(\.size), [2, 0])
        XCTAssertNil(catalog["c.gif"])
        XCTAssertTrue(catalog.contains(name: "b.png"))
        XCTAssertFalse(catalog.contains(name: "B.png"))
        XCTAssertFalse(catalog.isModified)
        XCTAssertEqual(text(catalog.serialized()), file)
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
        var catalog = try Catalog(parsing: bytes(catalogFile(lines)))
        XCTAssertEqual(text(catalog.serialized()), catalogFile(lines))
        XCTAssertEqual(catalog["café/x.png"]?.extra["big"], .number("12345678901234567890"))
        XCTAssertEqual(catalog["café/x.png"]?.extra.members.map(\.key), ["etag", "ratio", "big", "tags", "ok", "e"])

        // Changing another entry leaves this one's bytes alone.
        XCTAssertEqual(catalog.upsert(entry("other.png", "png", 4)), .updated)
        XCTAssertEqual(catalog.upsert(entry("new.png")), .added)
        XCTAssertEqual(text(catalog.serialized()), catalogFile([
            lines[0], #"{"name":"other.png","type":"png","size":4}"#, #"{"name":"new.png","type":"png","size":1}"#,
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
        XCTAssertFalse(catalog.isModified)  // same content; only the layout differs
        XCTAssertEqual(text(catalog.serialized()), catalogFile([
            #"{"name":"a b+c.png","type":"png","size":5,"note":"two  spaces\tand a tab"}"#,
            #"{"name":"d.png","type":"png","size":6}"#,
        ]))
    }

    func testUnicodePlusAndSpaceInNames() throws {
        let nfc = "caf\u{E9}.png"
        let nfd = "cafe\u{301}.png"  // canonically equivalent for String ==, but another S3 key
        var catalog = Catalog()
        for name in ["a b.png", "a+b.png", "ü/日本 😀.png", nfc, nfd] {
            XCTAssertEqual(catalog.upsert(entry(name)), .added, name)
        }
        XCTAssertEqual(catalog.count, 5)
        XCTAssertEqual(catalog.upsert(entry(nfd, "png", 2)), .updated)
        XCTAssertEqual(catalog[nfc]?.size, 1)
        XCTAssertEqual(catalog[nfd]?.size, 2)

        let reloaded = try Catalog(parsing: catalog.serialized())
        XCTAssertEqual(reloaded.count, 5)
        XCTAssertEqual(reloaded.duplicatesRemoved, 0)
        XCTAssertEqual(reloaded.names.map { Array($0.utf8) }, catalog.names.map { Array($0.utf8) })
        XCTAssertEqual(reloaded["a+b.png"]?.name, "a+b.png")
        XCTAssertNil(reloaded["a%2Bb.png"])
        XCTAssertEqual(reloaded[nfd]?.size, 2)
        XCTAssertTrue(catalog.serialized().contains(0xCC), "the combining accent is written as raw UTF-8")
    }

    func testEscapedNamesMatchTheirDecodedForm() throws {
        let catalog = try Catalog(parsing: bytes(#"[{"name":"a\u0020b\/\u00e9.png","type":"png","size":1}]"#))
        XCTAssertNotNil(catalog["a b/é.png"])
    }

    func testDuplicatesCollapseLastWinsAtFirstPosition() throws {
        let file = catalogFile([
            #"{"name":"a.png","type":"png","size":1}"#,
            #"{"name":"b.png","type":"png","size":2}"#,
            #"{"name":"a.png","type":"png","size":3,"w":1}"#,
            #"{"name":"c.png","type":"png","size":4}"#,
            #"{"name":"a.png","type":"png","size":5}"#,
            #"{"name":"c.png","type":"png","size":6}"#,
        ])
        var catalog = try Catalog(parsing: bytes(file))
        XCTAssertEqual(catalog.count, 3)
        XCTAssertEqual(catalog.duplicatesRemoved, 3)
        XCTAssertTrue(catalog.isModified)
        XCTAssertEqual(text(catalog.serialized()), catalogFile([
            #"{"name":"a.png","type":"png","size":5}"#,
            #"{"name":"b.png","type":"png","size":2}"#,
            #"{"name":"c.png","type":"png","size":6}"#,
        ]))
        // Even a batch that changes nothing reports that the file needs writing.
        let summary = catalog.apply([(name: "b.png", entry: entry("b.png", "png", 2))])
        XCTAssertEqual(summary, Catalog.ApplySummary(unchanged: 1, duplicatesRemoved: 3))
        XCTAssertTrue(summary.changed)
        // Once written, the file reloads clean.
        let rewritten = try Catalog(parsing: catalog.serialized())
        XCTAssertEqual(rewritten.duplicatesRemoved, 0)
        XCTAssertFalse(rewritten.isModified)
    }

    func testDuplicatesAreFoundAcrossEscapes() throws {
        let catalog = try Catalog(parsing: bytes(
            #"[{"name":"\u0061.png","type":"png","size":1},{"name":"a.png","type":"png","size":2}]"#))
        XCTAssertEqual(catalog.count, 1)
        XCTAssertEqual(catalog.duplicatesRemoved, 1)
        XCTAssertEqual(catalog["a.png"]?.size, 2)
    }
}
