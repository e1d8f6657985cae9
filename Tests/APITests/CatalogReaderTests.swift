import Basics
import JSON
import Catalog
import CatalogFile
import Storage
import TestSupport
import XCTest
@testable import API

/// Pages and lookups over a catalog big enough to be read by its index (sizes made tiny), and
/// the same over a small one read whole: both must give the same answers.
final class CatalogReaderTests: XCTestCase {
    let store = MemoryStore()
    var file: CatalogFile!

    override func setUp() {
        store.minPartSize = 1024
        file = CatalogFile.tiny(store: store)
    }

    static func name(_ i: Int) -> String { (i % 3 == 0 ? "images/uploads/" : "images/archive/") + String(100_000 + i) + ".png" }

    /// 600 entries; every 10th a jpg.
    func seed(_ count: Int = 600) throws {
        let observations = (0..<count).map { i in
            Observation.exists(CatalogEntry(name: Self.name(i), type: i % 10 == 0 ? "jpg" : "png", size: Int64(i)))
        }
        let (_, result) = try file.write(Observation.sortedLatest(observations), over: try file.current(), policy: .merge)
        guard case .written = result else { throw MemoryStoreError("seed") }
    }

    func reader(small: Bool = false) -> CatalogReader {
        var file = self.file!
        if small { file.smallBytes = 1 << 20 }       // the same catalog, read whole
        return CatalogReader(file: file, cache: CatalogReaderCache())
    }

    /// Every page of `query`, following cursors.
    func allPages(_ query: ListQuery, _ reader: CatalogReader) throws -> [[String]] {
        var query = query
        var pages: [[String]] = []
        while true {
            let page = try reader.page(query)
            pages.append(page.entries.map { $0.name })
            guard let next = page.nextCursor, pages.count < 1000 else { return pages }
            query.after = ListCursor.decode(next)
        }
    }

    func expected(_ include: (Int) -> Bool) -> [String] {
        (0..<600).filter(include).map(Self.name).sorted { ExactKey($0) < ExactKey($1) }
    }

    func testPagingInNameOrderMatchesTheWholeCatalog() throws {
        try seed()
        for reader in [reader(), reader(small: true)] {
            let pages = try allPages(ListQuery(limit: 70), reader)
            XCTAssertEqual(pages.flatMap { $0 }, expected { _ in true })
            XCTAssertTrue(pages.dropLast().allSatisfy { $0.count == 70 })
        }
    }

    func testPagingDescendingWithAPrefix() throws {
        try seed()
        for reader in [reader(), reader(small: true)] {
            let pages = try allPages(ListQuery(limit: 50, prefix: "images/uploads/", order: .nameDescending), reader)
            XCTAssertEqual(pages.flatMap { $0 }, Array(expected { $0 % 3 == 0 }.reversed()))
        }
    }

    /// A type filter skips blocks whose types do not match; a rare type gets short pages with a
    /// cursor rather than a scan of the whole catalog.
    func testATypeFilterReadsBoundedStretches() throws {
        try seed()
        var reader = reader()
        reader.maxBlocksPerPage = 4
        store.requests = []
        let pages = try allPages(ListQuery(type: "jpg", limit: 100), reader)
        XCTAssertEqual(pages.flatMap { $0 }, expected { $0 % 10 == 0 })
        XCTAssertGreaterThan(pages.count, 1, "short pages with cursors")
        let reads = store.requests("RANGE b/images.json ").filter { !$0.contains(" 0-255") }
        XCTAssertTrue(reads.allSatisfy { line in
            let range = line.split(separator: " ")[2].split(separator: "-").map { Int($0)! }
            return range[1] - range[0] < 1024
        }, "block reads only: \(reads)")
    }

    func testLookupsReadOneBlock() throws {
        try seed()
        let reader = reader()
        _ = try reader.entry(named: Self.name(1))
        store.requests = []
        XCTAssertEqual(try reader.entry(named: Self.name(451)).entry?.size, 451)
        XCTAssertNil(try reader.entry(named: "images/uploads/nope.png").entry)
        XCTAssertEqual(store.requests.count, 2, "one block read each, the index cached: \(store.requests)")
    }

    /// Keyset paging stays consistent while the catalog changes between pages: nothing that
    /// existed throughout is skipped or served twice, whatever was added or removed meanwhile.
    func testPagesStayConsistentWhileTheCatalogChanges() throws {
        try seed()
        let reader = reader()
        let first = try reader.page(ListQuery(limit: 100))
        let all = expected { _ in true }
        // Another writer: removes the next names, adds before and after the cursor.
        let changes: [Observation] = [.missing(all[100]), .missing(all[101]),
                                      .exists(CatalogEntry(name: "images/aaa.png", type: "png", size: 1)),
                                      .exists(CatalogEntry(name: "images/zzz.png", type: "png", size: 1))]
        _ = try file.write(Observation.sortedLatest(changes), over: try file.current(), policy: .merge)
        var rest = try allPages(ListQuery(limit: 100, after: ListCursor.decode(first.nextCursor!)), reader).flatMap { $0 }
        XCTAssertEqual(rest.removeLast(), "images/zzz.png", "added after the cursor: served")
        XCTAssertEqual(first.entries.map { $0.name } + rest, all.filter { $0 != all[100] && $0 != all[101] })
    }

    /// The same in every order and filter offered (newest first, a type, a prefix): names
    /// removed just past the cursor, added on either side of it, and entries of the filtered
    /// type added and removed between pages; what existed throughout is served once, in order,
    /// and what was added past the cursor is served too.
    func testPagesStayConsistentWhileTheCatalogChangesInEveryOrderAndFilter() throws {
        for order in [ListQuery.Order.name, .nameDescending] {
            for (type, prefix) in [(nil, ""), ("jpg", ""), (nil, "images/uploads/"), ("jpg", "images/archive/")] {
                store.buckets = [:]
                try seed()
                let reader = reader()
                let query = ListQuery(type: type, limit: 7, prefix: prefix, order: order)
                let first = try reader.page(query)
                let served = first.entries.map(\.name)
                let cursor = try XCTUnwrap(first.nextCursor.flatMap(ListCursor.decode))
                let matches = { (i: Int) in Self.name(i).hasPrefix(prefix) && (type == nil || i % 10 == 0) }
                var all = expected(matches)
                if order == .nameDescending { all.reverse() }
                XCTAssertEqual(served, Array(all.prefix(7)), "\(order) \(type ?? "-") \(prefix)")
                // Another writer: the next two names in this order go; one before and one after
                // the cursor come, of the filtered type, under the prefix.
                let gone = Array(all[7..<9])
                let before = prefix + (order == .name ? "0000.png" : "zzzz.png")
                let after = prefix + (order == .name ? "zzzz.jpg" : "0000.jpg")
                let changes: [Observation] = gone.map { .missing($0) } + [
                    .exists(CatalogEntry(name: before, type: type ?? "png", size: 1)),
                    .exists(CatalogEntry(name: after, type: type ?? "png", size: 1)),
                ]
                _ = try file.write(Observation.sortedLatest(changes), over: try file.current(), policy: .merge)
                var q = query
                q.after = cursor
                let rest = try allPages(q, reader).flatMap { $0 }
                XCTAssertEqual(served + rest, all.filter { !gone.contains($0) } + [after], "\(order) \(type ?? "-") \(prefix)")
            }
        }
    }

    /// A big catalog with no index (written by hand) is not read whole within a request past a
    /// limit: 503 with Retry-After, until the catalog function or the reconcile indexes it.
    func testABigCatalogWithoutAnIndexIsNotReadyRatherThanSlow() throws {
        let lines = (0..<600).map { #"{"name":"\#(Self.name($0))","type":"png","size":1}"# }.sorted()
        store.put("b", "images.json", "[\n" + lines.joined(separator: ",\n") + "\n]\n")
        var api = ImageAPI(store: store, bucket: "b")
        api.layout = CatalogFile.tiny(store: store)
        api.maxReindexBytes = 10_000
        let event = try JSONValue(parsing: Array(#"{"version":"2.0","rawPath":"/images","rawQueryString":"","requestContext":{"http":{"method":"GET","path":"/images"},"authorizer":{"jwt":{"claims":{"sub":"auth0|x"}}}}}"#.utf8))
        let response = api.respond(to: try GatewayRequest(event: event))
        XCTAssertEqual(response.statusCode, 503)
        XCTAssertEqual(response.headers["retry-after"], "60")
        XCTAssertTrue(response.bodyText.contains("catalog_not_ready"), response.bodyText)
        api.maxReindexBytes = 1 << 20
        XCTAssertEqual(api.respond(to: try GatewayRequest(event: event)).statusCode, 200, "within the limit it is indexed here")
    }

    /// An index that does not describe its version's bytes, which the API's role may not
    /// delete: the API reads that version afresh instead of the same index again (every
    /// request answered 503 `catalog_busy` until the catalog function wrote a new version).
    /// Within `maxReindexBytes` it indexes it and serves; past it, 503 `catalog_not_ready`.
    func testAnIndexThatLiesAndCannotBeDeletedIsNotReadAgain() throws {
        try seed()
        let version = try file.current()
        var lying = version.index
        lying.blocks[2].offset += 3
        store.put("b", file.indexKey(version.etag!), bytes: lying.serialized())
        store.deleteError = MemoryStoreError("403 AccessDenied")
        let event = try JSONValue(parsing: Array(#"{"version":"2.0","rawPath":"/images","rawQueryString":"limit=1000","requestContext":{"http":{"method":"GET","path":"/images"},"authorizer":{"jwt":{"claims":{"sub":"auth0|x"}}}}}"#.utf8))
        for (limit, status) in [(Int64(1 << 20), 200), (10_000, 503)] {
            var api = ImageAPI(store: store, bucket: "b", cache: CatalogReaderCache())
            api.layout = CatalogFile.tiny(store: store)
            api.maxReindexBytes = limit
            let response = api.respond(to: try GatewayRequest(event: event))
            XCTAssertEqual(response.statusCode, status, response.bodyText)
            if status == 503 { XCTAssertTrue(response.bodyText.contains("catalog_not_ready"), response.bodyText) }
            if status == 200 {
                let names = try XCTUnwrap(JSONValue(parsing: Array(response.bodyText.utf8))["images"]?.arrayValue).compactMap { $0["name"]?.stringValue }
                XCTAssertFalse(names.isEmpty)
                XCTAssertEqual(names, Array(expected { _ in true }.prefix(names.count)))
                XCTAssertEqual(api.respond(to: try GatewayRequest(event: event)).statusCode, 200, "and again, warm")
            }
        }
    }

    /// A catalog that changes under every read of a request (a burst of writes) is busy, not
    /// broken: 503 with Retry-After, and the next request is served.
    func testACatalogChangingUnderEveryReadIsBusyNotAnError() throws {
        try seed()
        var api = ImageAPI(store: store, bucket: "b")
        api.layout = CatalogFile.tiny(store: store)
        var writes = 0
        store.onRequest = { [store] line in
            // Every ranged read of a block finds a new version: another writer just replaced it.
            guard line.hasPrefix("RANGE b/images.json"), line.contains("if-match") else { return }
            writes += 1
            let object = store.object("b", "images.json")!
            store.put("b", "images.json", bytes: object.bytes, etag: "v\(writes)")
            var index = CatalogIndex(parsing: store.object("b", "images.json.index/" + object.etag)!.bytes)!
            index.etag = "v\(writes)"                      // the same bytes, the same index, under the new ETag
            store.put("b", "images.json.index/v\(writes)", bytes: index.serialized())
        }
        let event = try JSONValue(parsing: Array(#"{"version":"2.0","rawPath":"/images","rawQueryString":"","requestContext":{"http":{"method":"GET","path":"/images"},"authorizer":{"jwt":{"claims":{"sub":"auth0|x"}}}}}"#.utf8))
        let response = api.respond(to: try GatewayRequest(event: event))
        XCTAssertEqual(response.statusCode, 503)
        XCTAssertEqual(response.headers["retry-after"], "1")
        XCTAssertTrue(response.bodyText.contains("catalog_busy"), response.bodyText)
        XCTAssertGreaterThanOrEqual(writes, 4, "read in four versions at least before giving up")
        store.onRequest = nil
        XCTAssertEqual(api.respond(to: try GatewayRequest(event: event)).statusCode, 200, "settled: served")
    }
}
