import API
import Basics
import CatalogSync
import JSON
import Storage
import TestSupport
import XCTest
import Foundation

/// The API's `type` filter over a catalog written by imagecat's own updater, as a deployment
/// has it: entries typed `png`, `jpg`, `gif`, `svg`, … (not `image/png`). The README's example
/// `GET /images?type=png` once returned nothing here.
final class TypeFilterTests: XCTestCase {
    func testTheFilterFindsWhatTheUpdaterWrote() throws {
        let store = MemoryStore()
        store.put("b", "images/a.png", bytes: Build.png(width: 2, height: 2))
        store.put("b", "images/b.jpg", bytes: Build.jpeg(Build.frame(width: 4, height: 3)))
        store.put("b", "images/c.gif", "GIF89a\u{4}\0\u{3}\0\0\0\0;")
        store.put("b", "images/d.svg", #"<svg xmlns="http://www.w3.org/2000/svg" width="5" height="6"/>"#)
        store.put("b", "images/e.heic", bytes: Build.heif(properties: [Build.ispe(8, 6)], associations: [(item: 1, indices: [1])]))
        var updater = CatalogUpdater(store: store, catalogKey: "images.json")
        updater.sleepMs = { _ in }
        _ = try updater.sync(bucket: "b", keys: ["images/a.png", "images/b.jpg", "images/c.gif", "images/d.svg", "images/e.heic"])

        let api = ImageAPI(store: store, bucket: "b")
        func names(_ type: String) throws -> [String] {
            let event = JSONValue.object(["version": .string("2.0"), "rawPath": .string("/images"),
                                          "rawQueryString": .string("type=" + type.replacingOccurrences(of: "/", with: "%2F").replacingOccurrences(of: "+", with: "%2B")),
                                          "requestContext": .object(["http": .object(["method": .string("GET"), "path": .string("/images")]),
                                                                      "authorizer": .object(["jwt": .object(["claims": .object(["sub": .string("auth0|x")])])])])])
            let response = api.respond(to: try GatewayRequest(event: event))
            XCTAssertEqual(response.statusCode, 200, type)
            let body = try JSONValue(parsing: response.body)
            return body["images"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        }
        XCTAssertEqual(try names("png"), ["images/a.png"])
        XCTAssertEqual(try names("image/png"), ["images/a.png"])
        XCTAssertEqual(try names("jpeg"), ["images/b.jpg"])
        XCTAssertEqual(try names("image/jpeg"), ["images/b.jpg"])
        XCTAssertEqual(try names("gif"), ["images/c.gif"])
        XCTAssertEqual(try names("image/svg+xml"), ["images/d.svg"])
        XCTAssertEqual(try names("heif"), ["images/e.heic"])
        XCTAssertEqual(try names("webp"), [])
    }
}
