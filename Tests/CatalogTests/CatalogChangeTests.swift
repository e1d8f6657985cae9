import Catalog
import JSON
import XCTest

final class CatalogChangeTests: XCTestCase {
    private let base = catalogFile([
        #"{"name":"a.png","type":"png","size":1,"etag":"e1","caption":"by hand"}"#,
        #"{"name":"b.png","type":"png","size":2}"#,
    ])

    func testUpsertAddsAtTheEndAndUpdatesInPlace() throws {
        var catalog = try Catalog(parsing: bytes(base))
        XCTAssertEqual(catalog.upsert(entry("0.png", "png", 9)), .added)
        XCTAssertEqual(catalog.upsert(entry("b.png", "png", 3)), .updated)
        XCTAssertEqual(catalog.count, 3)
        XCTAssertTrue(catalog.isModified)
        XCTAssertEqual(catalog.names, ["a.png", "b.png", "0.png"])
        XCTAssertEqual(text(catalog.serialized()), catalogFile([
            #"{"name":"a.png","type":"png","size":1,"etag":"e1","caption":"by hand"}"#,
            #"{"name":"b.png","type":"png","size":3}"#,
            #"{"name":"0.png","type":"png","size":9}"#,
        ]))
    }

    func testRedeliveryIsUnchanged() throws {
        var catalog = try Catalog(parsing: bytes(base))
        XCTAssertEqual(catalog.upsert(entry("b.png", "png", 2)), .unchanged)
        XCTAssertEqual(catalog.upsert(entry("a.png", "png", 1, ["etag": .string("e1"), "caption": .string("by hand")]),
                                      policy: .replace), .unchanged)
        XCTAssertFalse(catalog.isModified)
        XCTAssertEqual(text(catalog.serialized()), base)
    }

    func testSameContentInAnotherLayoutIsUnchangedAndKeepsItsBytes() throws {
        let file = catalogFile([#"{"size":7,"etag":"\u0065","name":"a.png","type":"png"}"#])
        var catalog = try Catalog(parsing: bytes(file))
        XCTAssertEqual(catalog.upsert(entry("a.png", "png", 7, ["etag": .string("e")])), .unchanged)
        XCTAssertEqual(text(catalog.serialized()), file)
        XCTAssertEqual(catalog.upsert(entry("a.png", "png", 8, ["etag": .string("e")])), .updated)
        XCTAssertEqual(text(catalog.serialized()), catalogFile([#"{"name":"a.png","type":"png","size":8,"etag":"e"}"#]))
    }

    func testNumberLiteralsDecideChanges() throws {
        var catalog = try Catalog(parsing: bytes(#"[{"name":"a","type":"t","size":1,"r":1.50}]"#))
        XCTAssertEqual(catalog.upsert(entry("a", "t", 1, ["r": .number("1.50")])), .unchanged)
        XCTAssertEqual(catalog.upsert(entry("a", "t", 1, ["r": .number("1.5")])), .updated)
    }

    func testMergeKeepsMembersTheNewEntryDoesNotMention() throws {
        var catalog = try Catalog(parsing: bytes(base))
        XCTAssertEqual(catalog.upsert(entry("a.png", "png", 5, ["etag": .string("e2"), "width": .int(3)])), .updated)
        XCTAssertEqual(catalog["a.png"], entry("a.png", "png", 5,
                                              ["etag": .string("e2"), "caption": .string("by hand"), "width": .int(3)]))
        // The same observation again changes nothing.
        XCTAssertEqual(catalog.upsert(entry("a.png", "png", 5, ["etag": .string("e2"), "width": .int(3)])), .unchanged)
    }

    func testReplaceDropsOtherMembers() throws {
        var catalog = try Catalog(parsing: bytes(base))
        XCTAssertEqual(catalog.upsert(entry("a.png", "png", 1, ["etag": .string("e1")]), policy: .replace), .updated)
        XCTAssertEqual(catalog["a.png"], entry("a.png", "png", 1, ["etag": .string("e1")]))
    }

    func testManagedKeysAreDroppedWhenAbsentOthersKept() throws {
        let file = catalogFile([#"{"name":"a.png","type":"png","size":1,"width":4,"caption":"c","height":5}"#])
        var catalog = try Catalog(parsing: bytes(file))
        let policy = UpsertPolicy.merge(managing: ["width", "height", "etag"])
        XCTAssertEqual(catalog.upsert(entry("a.png", "png", 1, ["width": .int(6)]), policy: policy), .updated)
        XCTAssertEqual(text(catalog.serialized()),
                       catalogFile([#"{"name":"a.png","type":"png","size":1,"width":6,"caption":"c"}"#]))
        XCTAssertEqual(catalog.upsert(entry("a.png", "png", 1, ["width": .int(6)]), policy: policy), .unchanged)
    }

    func testEntryDropsCoreKeysFromExtra() {
        let e = entry("a", "t", 1, ["size": .int(9), "x": .null, "name": .string("b")])
        XCTAssertEqual(e.extra, ["x": .null])
        XCTAssertEqual(text(e.serialized()), #"{"name":"a","type":"t","size":1,"x":null}"#)
        XCTAssertEqual(e.jsonValue, try JSONParser.parse(e.serialized()))
        var later = e
        later.extra["size"] = .string("oops")  // added after init: still never written
        XCTAssertEqual(text(later.serialized()), #"{"name":"a","type":"t","size":1,"x":null}"#)
    }

    func testRemove() throws {
        var catalog = try Catalog(parsing: bytes(base))
        XCTAssertTrue(catalog.remove(name: "a.png"))
        XCTAssertFalse(catalog.remove(name: "a.png"))
        XCTAssertFalse(catalog.remove(name: "nope.png"))
        XCTAssertEqual(catalog.count, 1)
        XCTAssertNil(catalog["a.png"])
        XCTAssertFalse(catalog.contains(name: "a.png"))
        XCTAssertEqual(text(catalog.serialized()), catalogFile([#"{"name":"b.png","type":"png","size":2}"#]))
        // Coming back, it is a new entry at the end.
        XCTAssertEqual(catalog.upsert(entry("a.png")), .added)
        XCTAssertEqual(catalog.names, ["b.png", "a.png"])
        XCTAssertTrue(catalog.remove(name: "b.png"))
        XCTAssertTrue(catalog.remove(name: "a.png"))
        XCTAssertEqual(text(catalog.serialized()), "[]\n")
        XCTAssertTrue(catalog.isModified)
    }

    func testManyChangesKeepTheIndexConsistent() throws {
        var catalog = Catalog()
        for i in 0..<2000 { catalog.upsert(entry("k\(i)", "png", Int64(i))) }
        for i in stride(from: 0, to: 2000, by: 3) { XCTAssertTrue(catalog.remove(name: "k\(i)")) }
        for i in stride(from: 0, to: 2000, by: 6) { XCTAssertEqual(catalog.upsert(entry("k\(i)", "png", 1)), .added) }
        let reloaded = try Catalog(parsing: catalog.serialized())
        XCTAssertEqual(reloaded.count, catalog.count)
        XCTAssertEqual(reloaded.duplicatesRemoved, 0)
        for i in 0..<2000 {
            let expected: Int64? = i % 6 == 0 ? 1 : (i % 3 == 0 ? nil : Int64(i))
            XCTAssertEqual(reloaded["k\(i)"]?.size, expected, "k\(i)")
            XCTAssertEqual(catalog["k\(i)"]?.size, expected, "k\(i)")
        }
    }

    func testApplySummaryAndIdempotence() throws {
        var catalog = try Catalog(parsing: bytes(base))
        let batch: [(name: String, entry: CatalogEntry?)] = [
            ("c.png", entry("c.png", "png", 3)),
            ("b.png", nil),
            ("a.png", entry("a.png", "png", 1, ["etag": .string("e1")])),
            ("gone.png", nil),
            ("d.png", entry("d.png", "png", 4)),
            ("c.png", entry("c.png", "png", 30)),  // the last observation of a key wins
            ("b.png", entry("b.png", "png", 2)),
            ("b.png", nil),
        ]
        let first = catalog.apply(batch)
        XCTAssertEqual(first, Catalog.ApplySummary(added: 2, updated: 0, removed: 1, unchanged: 2))
        XCTAssertTrue(first.changed)
        XCTAssertEqual(text(catalog.serialized()), catalogFile([
            #"{"name":"a.png","type":"png","size":1,"etag":"e1","caption":"by hand"}"#,
            #"{"name":"c.png","type":"png","size":30}"#,
            #"{"name":"d.png","type":"png","size":4}"#,
        ]))
        let written = catalog.serialized()
        let second = catalog.apply(batch)
        XCTAssertEqual(second, Catalog.ApplySummary(unchanged: 5))
        XCTAssertFalse(second.changed)
        XCTAssertEqual(catalog.serialized(), written)

        // And after a reload, as a redelivered event would see it.
        var reloaded = try Catalog(parsing: written)
        XCTAssertFalse(reloaded.apply(batch).changed)
        XCTAssertFalse(reloaded.isModified)
    }

    func testObservationNameIsTheKey() {
        var catalog = Catalog()
        let summary = catalog.apply([Catalog.Observation(name: "real.png", entry: entry("other.png")),
                                     .exists(entry("x.png")), .missing("y.png")])
        XCTAssertEqual(summary, Catalog.ApplySummary(added: 2, unchanged: 1))
        XCTAssertEqual(catalog.names, ["real.png", "x.png"])
        XCTAssertEqual(catalog["real.png"]?.name, "real.png")
    }
}
