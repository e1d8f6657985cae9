import Storage
import TestSupport
import JSON
import XCTest
@testable import API

/// `GET /images?urls=1`: a presigned viewing URL per entry, stable within a window so that
/// revalidation (304) and the browser's cache keep working.
final class ImageAPIViewURLTests: XCTestCase {
    static let catalogText = """
        [
        {"name":"images/cats/tabby.png","type":"png","size":2048,"width":64,"height":48},
        {"name":"images/uploads/0123/new cat.png","type":"png","size":171,"url":"https://evil.test/stored","url":"https://evil.test/last"},
        {"name":"other/dog.png","type":"png","size":10,"url":"https://evil.test/stored","url":"https://evil.test/last"},
        {"name":"users/auth0|victim.json","type":"png","size":10}
        ]
        """

    let store = MemoryStore()
    let presigner = RecordingPresigner()
    var now: Int64 = 1_800_000_000
    let cache = CatalogReaderCache()

    override func setUp() {
        store.setCatalog(Self.catalogText)
    }

    func list(_ query: [String: String], ifNoneMatch: String? = nil) throws -> (status: Int, etag: String?, body: JSONValue?) {
        let api = ImageAPI(store: store, bucket: MemoryStore.apiBucket, cache: cache, uploads: UploadPolicy(),
                           presigner: presigner, nowMs: { [now] in now * 1000 })
        let event = try UploadEvents.event(method: "GET", path: "/images", query: query,
                                           headers: ifNoneMatch.map { ["if-none-match": $0] } ?? [:])
        let response = try JSONValue(parsing: api.handle(event.serialized(), requestID: "req-v"))
        let raw = try XCTUnwrap(response["body"]?.stringValue)
        return (Int(try XCTUnwrap(response["statusCode"]?.int64Value)), response["headers"]?["etag"]?.stringValue,
                raw.isEmpty ? nil : try JSONValue(parsing: raw))
    }

    /// name → url, `"-"` for an entry without one.
    func urls(_ body: JSONValue?) -> [String: String] {
        var result: [String: String] = [:]
        for entry in body?["images"]?.arrayValue ?? [] {
            result[entry["name"]!.stringValue!] = entry["url"]?.stringValue ?? "-"
        }
        return result
    }

    func testURLsOnlyForViewableEntries() throws {
        let response = try list(["urls": "1"])
        XCTAssertEqual(response.status, 200)
        // Window of 300 s (half of 600): 1_800_000_000 is its start.
        XCTAssertEqual(urls(response.body), [
            "images/cats/tabby.png": "https://s3.test/GET/images/cats/tabby.png?t=1800000000&e=600",
            "images/uploads/0123/new cat.png": "https://s3.test/GET/images/uploads/0123/new cat.png?t=1800000000&e=600",
            "other/dog.png": "-",
            "users/auth0|victim.json": "-",
        ])
        XCTAssertEqual(presigner.calls.map(\.key), ["images/cats/tabby.png", "images/uploads/0123/new cat.png"])
        XCTAssertTrue(presigner.calls.allSatisfy { $0.method == "GET" && $0.headers.isEmpty })
        // Every other member is still there, in order, with the url last.
        let first = try XCTUnwrap(response.body?["images"]?.arrayValue?.first?.objectValue)
        XCTAssertEqual(first.members.map(\.key), ["name", "type", "size", "width", "height", "url"])
        // A stored entry with two url members (a hand edit) keeps neither: a reader that takes
        // the last of duplicates (a browser's JSON.parse) would have loaded the stored one.
        let entries = try XCTUnwrap(response.body?["images"]?.arrayValue).compactMap(\.objectValue)
        XCTAssertEqual(entries.map { $0.members.filter { $0.key == "url" }.count }, [1, 1, 0, 0])
    }

    func testWithoutURLsNothingIsSigned() throws {
        for query in [[:], ["urls": "0"], ["urls": "false"]] {
            let response = try list(query)
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(urls(response.body)["images/cats/tabby.png"], "-")
            // A stored member named url is the catalog's business when no URLs are asked for.
            XCTAssertEqual(urls(response.body)["other/dog.png"], "https://evil.test/stored")
        }
        XCTAssertEqual(presigner.calls, [])
    }

    func testBadURLsValueIs400() throws {
        for value in ["2", "yes", "", "1,1"] {
            let response = try list(["urls": value])
            XCTAssertEqual(response.status, 400, value)
            XCTAssertEqual(response.body?["error"], .string("invalid_urls"), value)
        }
        XCTAssertEqual(store.reads, [])
    }

    func testSameWindowGivesTheSameBodyAnd304() throws {
        let first = try list(["urls": "1"])
        now += 299
        let second = try list(["urls": "1"])
        XCTAssertEqual(first.body, second.body)
        XCTAssertEqual(first.etag, second.etag)
        let plain = try list([:])
        XCTAssertNotEqual(plain.etag, first.etag, "a body with URLs is another variant")

        let revalidated = try list(["urls": "1"], ifNoneMatch: first.etag)
        XCTAssertEqual(revalidated.status, 304)
        XCTAssertNil(revalidated.body)
    }

    func testNextWindowGivesFreshURLsAndANewETag() throws {
        let first = try list(["urls": "1"])
        now += 300
        let next = try list(["urls": "1"], ifNoneMatch: first.etag)
        XCTAssertEqual(next.status, 200, "the client's URLs are from the last window: it gets new ones")
        XCTAssertNotEqual(next.etag, first.etag)
        XCTAssertEqual(urls(next.body)["images/cats/tabby.png"], "https://s3.test/GET/images/cats/tabby.png?t=1800000300&e=600")
    }

    func testColdFunctionRevalidatesURLListingsWithoutDownloading() throws {
        let first = try list(["urls": "1"])
        cache.version = nil
        store.requests = []
        let again = try list(["urls": "1"], ifNoneMatch: first.etag)
        XCTAssertEqual(again.status, 304)
        XCTAssertEqual(store.reads.count, 1)
        XCTAssertTrue(store.reads[0].hasSuffix("-> 304"), store.reads[0])
    }
}
