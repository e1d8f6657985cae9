import Catalog
import JSON
import XCTest

/// `CatalogMerge`: how an observation becomes an added, updated, removed or unchanged entry.
final class CatalogMergeTests: XCTestCase {
    private let base = catalogFile([
        #"{"name":"a.png","type":"png","size":1,"etag":"e1","caption":"by hand"}"#,
        #"{"name":"b.png","type":"png","size":2}"#,
    ])

    func testNewEntriesGoInNameOrderAndUpdatesInPlace() throws {
        let (outcomes, file) = try applied(base, upserts(entry("0.png", "png", 9), entry("b.png", "png", 3)))
        XCTAssertEqual(outcomes, [.added, .updated(from: entry("b.png", "png", 2))])
        XCTAssertEqual(file, catalogFile([
            #"{"name":"0.png","type":"png","size":9}"#,
            #"{"name":"a.png","type":"png","size":1,"etag":"e1","caption":"by hand"}"#,
            #"{"name":"b.png","type":"png","size":3}"#,
        ]))
    }

    func testRedeliveryIsUnchanged() throws {
        XCTAssertEqual(try applied(base, upserts(entry("b.png", "png", 2))).outcomes, [.unchanged])
        let again = try applied(base, upserts(entry("a.png", "png", 1, ["etag": .string("e1"), "caption": .string("by hand")])),
                                policy: .replace)
        XCTAssertEqual(again.outcomes, [.unchanged])
        XCTAssertEqual(again.file, base)
    }

    func testSameContentInAnotherSpellingIsUnchangedAndKeepsItsBytes() throws {
        let file = catalogFile([#"{"size":7,"etag":"\u0065","name":"a.png","type":"png"}"#])
        let same = try applied(file, upserts(entry("a.png", "png", 7, ["etag": .string("e")])))
        XCTAssertEqual(same.outcomes, [.unchanged])
        XCTAssertEqual(same.file, file)
        let changed = try applied(file, upserts(entry("a.png", "png", 8, ["etag": .string("e")])))
        XCTAssertEqual(changed.outcomes, [.updated(from: entry("a.png", "png", 7, ["etag": .string("e")]))])
        XCTAssertEqual(changed.file, catalogFile([#"{"name":"a.png","type":"png","size":8,"etag":"e"}"#]))
    }

    func testNumberLiteralsDecideChanges() throws {
        let file = #"[{"name":"a","type":"t","size":1,"r":1.50}]"#
        XCTAssertEqual(try applied(file, upserts(entry("a", "t", 1, ["r": .number("1.50")]))).outcomes, [.unchanged])
        XCTAssertEqual(try applied(file, upserts(entry("a", "t", 1, ["r": .number("1.5")]))).outcomes,
                       [.updated(from: entry("a", "t", 1, ["r": .number("1.50")]))])
    }

    func testMergeKeepsMembersTheNewEntryDoesNotMention() throws {
        let (outcomes, file) = try applied(base, upserts(entry("a.png", "png", 5, ["etag": .string("e2"), "width": .int(3)])))
        XCTAssertEqual(outcomes, [.updated(from: entry("a.png", "png", 1, ["etag": .string("e1"), "caption": .string("by hand")]))])
        XCTAssertEqual(try Catalog(parsing: bytes(file))["a.png"],
                       entry("a.png", "png", 5, ["etag": .string("e2"), "caption": .string("by hand"), "width": .int(3)]))
        // The same observation again changes nothing.
        XCTAssertEqual(try applied(file, upserts(entry("a.png", "png", 5, ["etag": .string("e2"), "width": .int(3)]))).outcomes,
                       [.unchanged])
    }

    func testReplaceDropsOtherMembers() throws {
        let (_, file) = try applied(base, upserts(entry("a.png", "png", 1, ["etag": .string("e1")])), policy: .replace)
        XCTAssertEqual(try Catalog(parsing: bytes(file))["a.png"], entry("a.png", "png", 1, ["etag": .string("e1")]))
    }

    func testManagedKeysAreDroppedWhenAbsentOthersKept() throws {
        let file = catalogFile([#"{"name":"a.png","type":"png","size":1,"width":4,"caption":"c","height":5}"#])
        let policy = UpsertPolicy.merge(managing: ["width", "height", "etag"])
        let once = try applied(file, upserts(entry("a.png", "png", 1, ["width": .int(6)])), policy: policy)
        XCTAssertEqual(once.outcomes, [.updated(from: entry("a.png", "png", 1, ["width": .int(4), "caption": .string("c"), "height": .int(5)]))])
        XCTAssertEqual(once.file, catalogFile([#"{"name":"a.png","type":"png","size":1,"width":6,"caption":"c"}"#]))
        XCTAssertEqual(try applied(once.file, upserts(entry("a.png", "png", 1, ["width": .int(6)])), policy: policy).outcomes,
                       [.unchanged])
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

    func testRemovalsAndTheEmptyCatalog() throws {
        let (outcomes, file) = try applied(base, [.missing("a.png"), .missing("nope.png")])
        XCTAssertEqual(outcomes, [.removed(from: entry("a.png", "png", 1, ["etag": .string("e1"), "caption": .string("by hand")])), .unchanged])
        XCTAssertEqual(file, catalogFile([#"{"name":"b.png","type":"png","size":2}"#]))
        XCTAssertEqual(try applied(file, [.missing("b.png")]).file, "[]\n")
        XCTAssertEqual(try applied("[]\n", upserts(entry("a.png"))).file, catalogFile([#"{"name":"a.png","type":"png","size":1}"#]))
    }

    func testApplySummaryAndIdempotence() throws {
        let batch: [Observation] = [
            .exists(entry("c.png", "png", 3)),
            .missing("b.png"),
            .exists(entry("a.png", "png", 1, ["etag": .string("e1")])),
            .missing("gone.png"),
            .exists(entry("d.png", "png", 4)),
            .exists(entry("c.png", "png", 30)),  // the last observation of a key wins
            .exists(entry("b.png", "png", 2)),
            .missing("b.png"),
        ]
        let first = try applied(base, batch)
        XCTAssertEqual(ApplySummary(first.outcomes), ApplySummary(added: 2, updated: 0, removed: 1, unchanged: 2))
        XCTAssertTrue(ApplySummary(first.outcomes).changed)
        XCTAssertEqual(first.file, catalogFile([
            #"{"name":"a.png","type":"png","size":1,"etag":"e1","caption":"by hand"}"#,
            #"{"name":"c.png","type":"png","size":30}"#,
            #"{"name":"d.png","type":"png","size":4}"#,
        ]))
        // Read back, as a redelivered event would see it: nothing to do.
        let second = try applied(first.file, batch)
        XCTAssertEqual(ApplySummary(second.outcomes), ApplySummary(unchanged: 5))
        XCTAssertEqual(second.file, first.file)
    }

    func testObservationNameIsTheKey() throws {
        let (outcomes, file) = try applied("[]\n", [Observation(name: "real.png", entry: entry("other.png")),
                                                    .exists(entry("x.png")), .missing("y.png")])
        XCTAssertEqual(ApplySummary(outcomes), ApplySummary(added: 2, unchanged: 1))
        XCTAssertEqual(try Catalog(parsing: bytes(file)).names, ["real.png", "x.png"])
    }

    func testKeysAreComparedAsBytes() throws {
        let nfc = "caf\u{E9}.png", nfd = "cafe\u{301}.png"      // one key to Swift's ==, two to S3
        let first = try applied("[]\n", upserts(entry("a b.png"), entry("a+b.png"), entry("ü/日本 😀.png"), entry(nfc), entry(nfd)))
        XCTAssertEqual(first.outcomes.count, 5)
        let second = try applied(first.file, upserts(entry(nfd, "png", 2)))
        XCTAssertEqual(second.outcomes, [.updated(from: entry(nfd))])
        let catalog = try Catalog(parsing: bytes(second.file))
        XCTAssertEqual(catalog[nfc]?.size, 1)
        XCTAssertEqual(catalog[nfd]?.size, 2)
        XCTAssertEqual(catalog.names.map { Array($0.utf8) }, catalog.names.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) })
        XCTAssertTrue(bytes(second.file).contains(0xCC), "the combining accent is written as raw UTF-8")
    }
}
