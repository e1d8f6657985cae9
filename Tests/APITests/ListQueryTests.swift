import Catalog
import CatalogFile
import Storage
import TestSupport
import XCTest
@testable import API

/// Query parsing, cursors, paging and validators, without a handler around them.
final class ListQueryTests: XCTestCase {
    /// A reader of a small catalog holding `names`, written by hand in any order.
    func view(_ names: [String], type: (String) -> String = { _ in "image/png" }) throws -> CatalogReader {
        let entries = names.map { #"{"name":"\#($0)","type":"\#(type($0))","size":1}"# }
        let store = MemoryStore()
        store.put("b", "images.json", "[" + entries.joined(separator: ",") + "]")
        return CatalogReader(file: CatalogFile(store: store, bucket: "b", key: "images.json"), cache: CatalogReaderCache())
    }

    func testCursorRoundTrips() {
        for name in ["a", "cats/tabby.png", "ünï cødé/🐈.png", "a b+c%2F", String(repeating: "k", count: 1024)] {
            let cursor = ListCursor.encode(name)
            XCTAssertTrue(cursor.utf8.allSatisfy { $0 < 0x80 && $0 != UInt8(ascii: "=") && $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "/") })
            XCTAssertEqual(ListCursor.decode(cursor), name)
        }
        XCTAssertEqual(ListCursor.encode("a"), "MTph")  // base64url("1:a")
        XCTAssertNil(ListCursor.decode("MTpi" + "x"))
        XCTAssertNil(ListCursor.decode("MTo"))  // "1:" with no name
        XCTAssertEqual(ListCursor.decode("MTpi"), "b")
        XCTAssertEqual(ListCursor.decode("MTphYg"), "ab")
        XCTAssertNil(ListCursor.decode("MTphYh"))  // same bytes, but trailing bits encode() never sets
        XCTAssertNil(ListCursor.decode("MTpj/w"))  // not base64url
    }

    func testPagingIsKeysetByByteOrder() throws {
        let catalog = try view(["b", "a", "Z", "é", "e\u{301}", "c"])
        var query = ListQuery(limit: 2)
        var pages: [[String]] = []
        while true {
            let page = try catalog.page(query)
            pages.append(page.entries.map { $0.name })
            guard let next = page.nextCursor else { break }
            query.after = ListCursor.decode(next)
        }
        XCTAssertEqual(pages, [["Z", "a"], ["b", "c"], ["e\u{301}", "é"]])
        // A cursor whose name has since been removed still continues after it.
        XCTAssertEqual(try catalog.page(ListQuery(limit: 10, after: "bb")).entries.map { $0.name }, ["c", "e\u{301}", "é"])
        // Exactly `limit` left: no next page.
        XCTAssertNil(try catalog.page(ListQuery(limit: 2, after: "c")).nextCursor)
        XCTAssertEqual(try catalog.entry(named: "é").entry?.name, "é")
        XCTAssertNil(try catalog.entry(named: "d").entry)
    }

    func testTypeFilterSkipsAcrossPages() throws {
        let catalog = try view(["1.png", "2.jpg", "3.jpg", "4.png", "5.jpg"]) { $0.hasSuffix("png") ? "image/png" : "image/jpeg" }
        let first = try catalog.page(ListQuery(type: "jpg", limit: 2))
        XCTAssertEqual(first.entries.map { $0.name }, ["2.jpg", "3.jpg"])
        let second = try catalog.page(ListQuery(type: "jpg", limit: 2, after: ListCursor.decode(first.nextCursor!)))
        XCTAssertEqual(second.entries.map { $0.name }, ["5.jpg"])
        XCTAssertNil(second.nextCursor)
    }

    /// The README's own example, `type=png`, over entries as imagecat writes them (`png`, not
    /// `image/png`), with every spelling the docs promise.
    func testTheFilterMatchesTheTypesImagecatWrites() {
        let written = ["jpg", "png", "gif", "webp", "bmp", "tiff", "heic", "avif", "ico", "svg"]
        let spellings: [String: [String]] = [
            "jpg": ["jpg", "JPG", "jpeg", "image/jpeg", "image/jpg"], "png": ["png", "image/png", "IMAGE/PNG"],
            "gif": ["gif", "image/gif"], "webp": ["webp", "image/webp"], "bmp": ["bmp", "image/bmp"],
            "tiff": ["tiff", "tif", "image/tiff"], "heic": ["heic", "image/heic", "heif", "image/heif"],
            "avif": ["avif", "image/avif"], "ico": ["ico", "image/x-icon", "image/vnd.microsoft.icon"],
            "svg": ["svg", "image/svg+xml", "svg+xml"],
        ]
        for (type, asked) in spellings {
            for spelling in asked {
                let query = try! ListQuery.parse(["type": spelling])
                XCTAssertEqual(written.filter { query.matches(type: $0) }, [type], spelling)
            }
        }
    }

    func testTypeMatching() {
        let png = ListQuery(type: "png"), svg = ListQuery(type: "svg"), full = ListQuery(type: "image/png")
        XCTAssertTrue(png.matches(type: "image/png"))
        XCTAssertTrue(png.matches(type: "IMAGE/PNG; charset=binary"))
        XCTAssertFalse(png.matches(type: "image/apng"))
        XCTAssertTrue(svg.matches(type: "image/svg+xml"))
        XCTAssertTrue(full.matches(type: "image/png"))
        XCTAssertFalse(full.matches(type: "text/png"))
        XCTAssertTrue(ListQuery().matches(type: "anything"))
    }

    func testParseNormalisesForTheETag() throws {
        let a = try ListQuery.parse(["type": "PNG", "limit": "100", "other": "x"])
        let b = try ListQuery.parse(["type": "png"])
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.variant, b.variant)
    }

    func testPrefixAndOrderAreValidatedAndShapeTheETag() throws {
        let query = try ListQuery.parse(["prefix": "images/uploads/", "order": "name-desc"])
        XCTAssertEqual(query.prefix, "images/uploads/")
        XCTAssertEqual(query.order, .nameDescending)
        XCTAssertNotEqual(query.variant, try ListQuery.parse(["prefix": "images/uploads/"]).variant)
        XCTAssertNotEqual(query.variant, try ListQuery.parse(["order": "name-desc"]).variant)
        XCTAssertEqual(try ListQuery.parse([:]).order, .name)
        for (name, value, code) in [("order", "newest", "invalid_order"), ("order", "NAME", "invalid_order"),
                                    ("prefix", String(repeating: "p", count: 1025), "invalid_prefix")] {
            XCTAssertThrowsError(try ListQuery.parse([name: value])) { error in
                XCTAssertEqual((error as? APIError)?.response.statusCode, 400)
                XCTAssertTrue((error as? APIError)?.response.bodyText.contains(code) == true, "\(error)")
            }
        }
    }

    func testIfNoneMatchParsing() {
        XCTAssertNil(IfNoneMatch(nil))
        XCTAssertNil(IfNoneMatch("garbage"))
        let list = IfNoneMatch(#" W/"a" , "b","#)
        XCTAssertEqual(list?.tags, [#""a""#, #""b""#])
        XCTAssertEqual(list?.matches(#""a""#), true)
        XCTAssertEqual(list?.matches(#""c""#), false)
        XCTAssertEqual(IfNoneMatch("*")?.matches("\"anything\""), true)
    }

    func testStoreETagComesBackOnlyForTheSameVariantAndOnlyAsHex() {
        let tag = ResponseETag.make(variant: "me\nauth0|1", storeETag: "9b2cf535f27731c974343645a3985328-2")
        XCTAssertEqual(IfNoneMatch(tag)?.storeETag(forVariant: "me\nauth0|1"), "9b2cf535f27731c974343645a3985328-2")
        XCTAssertNil(IfNoneMatch(tag)?.storeETag(forVariant: "me\nauth0|2"))
        let hashed = ResponseETag.make(variant: "v", storeETag: "not/hex\"")
        XCTAssertTrue(hashed.hasPrefix("\"") && hashed.hasSuffix("\"") && !hashed.dropFirst().dropLast().contains("\""))
        XCTAssertNil(IfNoneMatch(hashed)?.storeETag(forVariant: "v"))
        XCTAssertNotEqual(ResponseETag.make(variant: "a", storeETag: "1"), ResponseETag.make(variant: "a", storeETag: "2"))
        XCTAssertNotEqual(ResponseETag.make(variant: "a", storeETag: "1"), ResponseETag.make(variant: "b", storeETag: "1"))
    }
}
