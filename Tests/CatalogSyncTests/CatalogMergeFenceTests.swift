import Catalog
import JSON
import Storage
import XCTest
@testable import CatalogSync

/// `CatalogMerge.Outcome.mayHaveReplaced`: which stale keys send a writer round.
final class CatalogMergeFenceTests: XCTestCase {
    func entry(etag: String?, lastModified: String? = "2026-12-07T01:00:00Z") -> CatalogEntry {
        var extra = JSONObject()
        if let etag { extra["etag"] = .string(etag) }
        if let lastModified { extra["lastModified"] = .string(lastModified) }
        return CatalogEntry(name: "a.png", type: "png", size: 1, extra: extra)
    }

    func version(_ etag: String, _ lastModified: String? = "2026-12-07T01:00:00Z") -> ObjectVersion {
        ObjectVersion(etag: etag, lastModified: lastModified)
    }

    func testAWriteThatAddedTheKey() {
        let added = CatalogMerge.Outcome.added
        XCTAssertEqual(added.mayHaveReplaced(nil, givesEntry: nil), true, "gone now: no entry, as the write found")
        XCTAssertNil(added.mayHaveReplaced(version("e2"), givesEntry: nil), "only observing tells an image")
        XCTAssertEqual(added.mayHaveReplaced(version("e2"), givesEntry: true), false)
        XCTAssertEqual(added.mayHaveReplaced(version("e2"), givesEntry: false), true, "not an image: no entry either")
    }

    func testAWriteThatReplacedAnEntry() {
        for outcome in [CatalogMerge.Outcome.updated(from: entry(etag: "e1")), .removed(from: entry(etag: "e1"))] {
            XCTAssertEqual(outcome.mayHaveReplaced(nil, givesEntry: nil), false, "gone now: no entry, not the one replaced")
            XCTAssertEqual(outcome.mayHaveReplaced(version("e2"), givesEntry: nil), false, "another version's entry")
            XCTAssertEqual(outcome.mayHaveReplaced(version("e1", "2026-12-07T01:00:09Z"), givesEntry: nil), false,
                           "the same bytes uploaded again: another time")
            XCTAssertEqual(outcome.mayHaveReplaced(version("e1"), givesEntry: nil), true, "the current version's entry")
            XCTAssertEqual(outcome.mayHaveReplaced(version("e1", nil), givesEntry: nil), true, "a time unknown: the ETag decides")
            XCTAssertEqual(outcome.mayHaveReplaced(version("e1"), givesEntry: false), false, "no entry now")
        }
        XCTAssertEqual(CatalogMerge.Outcome.updated(from: entry(etag: nil)).mayHaveReplaced(version("e2"), givesEntry: nil), true,
                       "an entry that records no version may be anything")
        XCTAssertEqual(CatalogMerge.Outcome.updated(from: entry(etag: "e1", lastModified: nil)).mayHaveReplaced(version("e1"), givesEntry: true),
                       true)
    }

    /// A key changed by this round's write and by lost writes before it that may have landed.
    func testSeveralWritesOfOneKey() {
        let older = CatalogMerge.Outcome.updated(from: entry(etag: "e0")), current = CatalogMerge.Outcome.updated(from: entry(etag: "e1"))
        XCTAssertEqual([older].mayHaveReplaced(version("e1"), givesEntry: nil), false)
        XCTAssertEqual([older, current].mayHaveReplaced(version("e1"), givesEntry: nil), true, "a lost write replaced the current entry")
        XCTAssertNil([older, .added].mayHaveReplaced(version("e1"), givesEntry: nil))
        XCTAssertEqual([older, .added].mayHaveReplaced(version("e1"), givesEntry: true), false)
        XCTAssertEqual([CatalogMerge.Outcome]().mayHaveReplaced(version("e1"), givesEntry: true), true, "nothing known")
    }
}
