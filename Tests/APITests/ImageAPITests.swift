import Storage
import Foundation
import JSON
import XCTest
import TestSupport
@testable import API
import Basics

final class ImageAPITests: XCTestCase {
    static let eventsDir = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("events")
    static let sampleSub = "auth0|5f7c8ec7c33c6c004bbafe82"
    static let catalogText = """
        [
        {"name":"cats/tabby.png","type":"image/png","size":2048,"width":64,"height":48},
        {"name":"dogs/rex.jpg","type":"image/jpeg","size":4096},
        {"name":"birds/robin.png","type":"image/png","size":1024},
        {"name":"a.png","type":"image/png","size":10}
        ]
        """

    let store = MemoryStore()
    let cache = CatalogReaderCache()
    let logged = LogLines()

    override func setUp() {
        store.setCatalog(Self.catalogText)
        store.setUser(Self.sampleSub, #"{"sub":"auth0|5f7c8ec7c33c6c004bbafe82","displayName":"Ada", "favourites": ["cats/tabby.png"]}"#)
    }

    func api(requiredScope: String? = nil) -> ImageAPI {
        ImageAPI(store: store, bucket: MemoryStore.apiBucket, requiredScope: requiredScope, cache: cache, log: logged.log)
    }

    func sample(_ name: String) throws -> JSONValue {
        try JSONValue(parsing: [UInt8](Data(contentsOf: Self.eventsDir.appendingPathComponent(name))))
    }

    /// Runs the full Lambda path (event bytes in, payload 2.0 response bytes out) and decodes it.
    func invoke(_ event: JSONValue, requiredScope: String? = nil) throws -> (status: Int, headers: [String: String], body: JSONValue?, raw: String) {
        let payload = try api(requiredScope: requiredScope).handle(event.serialized(), requestID: "req-1")
        let response = try JSONValue(parsing: payload)
        XCTAssertEqual(response["isBase64Encoded"], .bool(false))
        var headers: [String: String] = [:]
        for member in response["headers"]?.objectValue?.members ?? [] { headers[member.key] = member.value.stringValue }
        let raw = try XCTUnwrap(response["body"]?.stringValue)
        let body = raw.isEmpty ? nil : try JSONValue(parsing: raw)
        return (Int(try XCTUnwrap(response["statusCode"]?.int64Value)), headers, body, raw)
    }

    /// A sample event with some fields replaced.
    func event(_ name: String = "api-get-images.json", method: String? = nil, path: String? = nil,
               query: [String: String]? = nil, headers: [String: String] = [:],
               claims: JSONObject?? = .none, scopes: [String]?? = .none) throws -> JSONValue {
        guard case .object(var root) = try sample(name) else { throw SampleError(name: name) }
        guard case .object(var context) = root["requestContext"]!, case .object(var http) = context["http"]! else {
            throw SampleError(name: name)
        }
        if let method { http["method"] = .string(method) }
        if let path {
            root["rawPath"] = .string(path)
            http["path"] = .string(path)
        }
        context["http"] = .object(http)
        if let query {
            root["queryStringParameters"] = query.isEmpty ? nil : .object(JSONObject(query.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
            root["rawQueryString"] = .string("")
        }
        if case .object(var h) = root["headers"]! {
            for (name, value) in headers { h[name] = .string(value) }
            root["headers"] = .object(h)
        }
        if case .some(let newClaims) = claims {
            if let newClaims {
                var jwt = context["authorizer"]?["jwt"]?.objectValue ?? [:]
                jwt["claims"] = .object(newClaims)
                context["authorizer"] = .object(["jwt": .object(jwt)])
            } else {
                context["authorizer"] = nil
            }
        }
        if case .some(let newScopes) = scopes, case .object(var authorizer) = context["authorizer"]!,
           case .object(var jwt) = authorizer["jwt"]! {
            jwt["scopes"] = newScopes.map { .array($0.map(JSONValue.string)) } ?? .null
            authorizer["jwt"] = .object(jwt)
            context["authorizer"] = .object(authorizer)
        }
        root["requestContext"] = .object(context)
        return .object(root)
    }

    func names(_ body: JSONValue?) -> [String] {
        body?["images"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    }

    // MARK: - 200

    func testListImagesSampleEventFiltersSortsAndPages() throws {
        let first = try invoke(sample("api-get-images.json"))  // type=png&limit=2
        XCTAssertEqual(first.status, 200)
        XCTAssertEqual(first.headers["content-type"], "application/json")
        XCTAssertNotNil(first.headers["etag"])
        XCTAssertEqual(names(first.body), ["a.png", "birds/robin.png"])
        let cursor = try XCTUnwrap(first.body?["nextCursor"]?.stringValue)

        let second = try invoke(event(query: ["type": "png", "limit": "2", "cursor": cursor]))
        XCTAssertEqual(second.status, 200)
        XCTAssertEqual(names(second.body), ["cats/tabby.png"])
        XCTAssertEqual(second.body?["nextCursor"], .null)
        XCTAssertNotEqual(first.headers["etag"], second.headers["etag"])
        // Every member of the entry is served, in the catalog's order.
        XCTAssertEqual(second.raw, #"{"images":[{"name":"cats/tabby.png","type":"image/png","size":2048,"width":64,"height":48}],"nextCursor":null}"#)
    }

    func testListImagesDefaultsToEverythingInNameOrder() throws {
        let response = try invoke(event(query: [:]))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(names(response.body), ["a.png", "birds/robin.png", "cats/tabby.png", "dogs/rex.jpg"])
        XCTAssertEqual(response.body?["nextCursor"], .null)
        XCTAssertEqual(try invoke(event(query: ["type": "jpg"])).body.map(names), ["dogs/rex.jpg"])
        XCTAssertEqual(try invoke(event(query: ["type": "image/jpeg"])).body.map(names), ["dogs/rex.jpg"])
        XCTAssertEqual(try invoke(event(query: ["type": "gif"])).body.map(names), [])
    }

    func testListImagesFallsBackToRawQueryString() throws {
        guard case .object(var root) = try event(query: [:]) else { return XCTFail() }
        root["rawQueryString"] = .string("type=image%2Fjpeg&limit=5")
        XCTAssertEqual(names(try invoke(.object(root)).body), ["dogs/rex.jpg"])
    }

    func testMissingCatalogIsAnEmptyList() throws {
        store.catalog = nil
        let response = try invoke(sample("api-get-images.json"))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.raw, #"{"images":[],"nextCursor":null}"#)
        // Said in the log: without s3:ListBucket a read S3 refuses looks the same.
        XCTAssertTrue(logged.lines.contains { $0.hasPrefix("no catalog at s3://\(MemoryStore.apiBucket)/images.json") }, "\(logged.lines)")
        XCTAssertEqual(try invoke(sample("api-get-image.json")).status, 404)
    }

    func testImageByNameSampleEvent() throws {
        let response = try invoke(sample("api-get-image.json"))  // /images/cats/tabby.png
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.raw, #"{"name":"cats/tabby.png","type":"image/png","size":2048,"width":64,"height":48}"#)
        XCTAssertNotNil(response.headers["etag"])
        XCTAssertEqual(store.reads, ["catalog 0-1048575 -> 206"])
    }

    func testMeSampleEventReadsOnlyTheCallersRecord() throws {
        let response = try invoke(sample("api-get-me.json"))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.body?["displayName"], .string("Ada"))
        XCTAssertEqual(response.raw, #"{"sub":"auth0|5f7c8ec7c33c6c004bbafe82","displayName":"Ada","favourites":["cats/tabby.png"]}"#)
        XCTAssertEqual(store.reads, ["user \(MemoryStore.digest(Self.sampleSub)) -> 200"])
    }

    func testResponseIsAPayload2Object() throws {
        let payload = try api().handle(sample("api-get-me.json").serialized(), requestID: "req-1")
        let response = try JSONValue(parsing: payload)
        XCTAssertEqual(response.objectValue?.members.map(\.key), ["statusCode", "headers", "body", "isBase64Encoded"])
        XCTAssertEqual(response["statusCode"], .number("200"))
        XCTAssertEqual(response["headers"]?["cache-control"], .string("private, no-cache"))
    }

    // MARK: - 304

    func testIfNoneMatchGives304WithEmptyBody() throws {
        let first = try invoke(sample("api-get-images.json"))
        let etag = try XCTUnwrap(first.headers["etag"])
        let again = try invoke(event(headers: ["if-none-match": etag]))
        XCTAssertEqual(again.status, 304)
        XCTAssertEqual(again.raw, "")
        XCTAssertNil(again.headers["content-type"])
        XCTAssertEqual(again.headers["etag"], etag)
        // Warm: the second read asked S3 with the cached version, and S3 said "unchanged".
        XCTAssertEqual(store.reads.last, "catalog 0-1048575 if-none-match \(store.catalog!.etag) -> 304")

        // Weak form, lists and * match too.
        for header in ["W/\(etag)", "\"other\", \(etag)", "*"] {
            XCTAssertEqual(try invoke(event(headers: ["if-none-match": header])).status, 304, header)
        }
        // Another page is another representation.
        XCTAssertEqual(try invoke(event(query: ["type": "png", "limit": "3"], headers: ["if-none-match": etag])).status, 200)
    }

    func testChangedCatalogGivesANewETag() throws {
        let etag = try XCTUnwrap(invoke(sample("api-get-images.json")).headers["etag"])
        store.setCatalog(#"[{"name":"new.png","type":"image/png","size":1}]"#)
        let after = try invoke(event(headers: ["if-none-match": etag]))
        XCTAssertEqual(after.status, 200)
        XCTAssertEqual(names(after.body), ["new.png"])
        XCTAssertNotEqual(after.headers["etag"], etag)
    }

    func testColdFunctionRevalidatesWithoutDownloadingTheCatalog() throws {
        let etag = try XCTUnwrap(invoke(sample("api-get-image.json")).headers["etag"])
        cache.version = nil  // a new execution environment
        store.requests = []
        let again = try invoke(event("api-get-image.json", headers: ["if-none-match": etag]))
        XCTAssertEqual(again.status, 304)
        XCTAssertEqual(again.headers["etag"], etag)
        XCTAssertEqual(store.reads, ["catalog 0-0 if-none-match \(store.catalog!.etag) -> 304"])
    }

    func testMeRevalidates() throws {
        let etag = try XCTUnwrap(invoke(sample("api-get-me.json")).headers["etag"])
        store.requests = []
        let again = try invoke(event("api-get-me.json", headers: ["if-none-match": etag]))
        XCTAssertEqual(again.status, 304)
        XCTAssertEqual(store.reads, ["user \(MemoryStore.digest(Self.sampleSub)) if-none-match \(store.user(Self.sampleSub)!.etag) -> 304"])
        store.setUser(Self.sampleSub, #"{"displayName":"Ada L."}"#)
        XCTAssertEqual(try invoke(event("api-get-me.json", headers: ["if-none-match": etag])).status, 200)
    }

    func testForgedIfNoneMatchReachesTheStoreOnlyAsHex() throws {
        let variantTag = ResponseETag.make(variant: "me\n" + Self.sampleSub, storeETag: "0123abcd")
        let evil = variantTag.replacingOccurrences(of: "0123abcd", with: "x\\r\\nX-Evil: 1")
        _ = try invoke(event("api-get-me.json", headers: ["if-none-match": evil]))
        XCTAssertEqual(store.reads, ["user \(MemoryStore.digest(Self.sampleSub)) -> 200"])
    }

    // MARK: - 400

    func testBadLimitSampleEvent() throws {
        let response = try invoke(sample("api-bad-limit.json"))  // limit=0
        XCTAssertEqual(response.status, 400)
        XCTAssertEqual(response.body?["error"], .string("invalid_limit"))
        XCTAssertEqual(store.reads, [])
        for limit in ["1001", "-1", "+5", " 5", "1.5", "abc", "", "99999", "1,2"] {
            XCTAssertEqual(try invoke(event(query: ["limit": limit])).status, 400, limit)
        }
        XCTAssertEqual(try invoke(event(query: ["limit": "1000"])).status, 200)
        XCTAssertEqual(try invoke(event(query: ["limit": "1"])).body?["nextCursor"]?.stringValue.map { _ in true }, true)
    }

    /// Entries with big extra members (400 KB of quotes each: a page reads at most 16 blocks,
    /// and such an entry is a block) made a page an answer over Lambda's 6 MB, refused every
    /// time: a page ends before the entry that would take its body past `maxPageBodyBytes`, and
    /// its cursor goes on from there.
    func testAPageOfBigEntriesEndsBeforeLambdasLimitAndGoesOnByItsCursor() throws {
        let note = String(repeating: #"\""#, count: 200_000)                     // escaped again in the answer
        let names = (0..<18).map { "big/\(1000 + $0).png" }                     // 7.2 MB: indexed by the API itself
        store.setCatalog("[\n" + names.map { #"{"name":"\#($0)","type":"png","size":1,"note":"\#(note)"}"# }.joined(separator: ",\n") + "\n]\n")
        var served: [String] = []
        var query = ["limit": "1000"]
        var pages = 0
        while pages < 10 {
            let payload = try api().handle(event(query: query).serialized(), requestID: "req-1")
            XCTAssertLessThanOrEqual(payload.count, 6_000_000)
            let response = try JSONValue(parsing: payload)
            let body = try JSONValue(parsing: Array(XCTUnwrap(response["body"]?.stringValue).utf8))
            served += try XCTUnwrap(body["images"]?.arrayValue).compactMap { $0["name"]?.stringValue }
            pages += 1
            guard let cursor = body["nextCursor"]?.stringValue else { break }
            query["cursor"] = cursor
        }
        XCTAssertEqual(served, names)
        XCTAssertGreaterThan(pages, 2)
    }

    func testBadCursorAndType() throws {
        for cursor in ["!!!", "abc", "YWJj", ListCursor.encode("x") + "A", "MTp4=", String(repeating: "A", count: 2000)] {
            let response = try invoke(event(query: ["cursor": cursor]))
            XCTAssertEqual(response.status, 400, cursor)
            XCTAssertEqual(response.body?["error"], .string("invalid_cursor"))
        }
        for type in ["png;x", "a/b/c", "", "<script>", String(repeating: "p", count: 101)] {
            XCTAssertEqual(try invoke(event(query: ["type": type])).body?["error"], .string("invalid_type"), type)
        }
        XCTAssertEqual(store.reads, [])
    }

    func testTraversalSampleEventsReadNothing() throws {
        for name in ["api-traversal.json", "api-traversal-encoded.json"] {
            let response = try invoke(sample(name))
            XCTAssertEqual(response.status, 400, name)
            XCTAssertEqual(response.body?["error"], .string("invalid_path"))
        }
        for path in ["/images/./x.png", "/images/a/../../me", "/me/..", "/images/%2E%2e/x", "/images/.%2e",
                     "/images/a\u{0}.png", "/images/a\u{7f}", "/images/a\nb", "images", ""] {
            XCTAssertEqual(try invoke(event(path: path)).status, 400, path)
        }
        XCTAssertEqual(store.reads, [])
    }

    func testPercentSequencesAreNotDecodedAgain() throws {
        // API Gateway already decoded the path: a client that sent %252e%252e asked for an image
        // literally named %2e%2e..., which is only ever looked up in the catalog.
        let response = try invoke(event(path: "/images/%25users%2Fauth0|victim.json"))
        XCTAssertEqual(response.status, 404)
        XCTAssertEqual(store.reads, ["catalog 0-1048575 -> 206"])
        // Dots inside a name are fine.
        store.setCatalog(#"[{"name":"a..b/...png","type":"image/png","size":1}]"#)
        XCTAssertEqual(try invoke(event(path: "/images/a..b/...png")).status, 200)
    }

    // MARK: - 401 / 403

    func testNoAuthSampleEvent() throws {
        let response = try invoke(sample("api-no-auth.json"))
        XCTAssertEqual(response.status, 401)
        XCTAssertEqual(response.body?["error"], .string("unauthorized"))
        XCTAssertEqual(response.headers["www-authenticate"], "Bearer")
        XCTAssertEqual(store.reads, [])
    }

    func testMissingOrUnusableSubIsRefused() throws {
        XCTAssertEqual(try invoke(sample("api-no-sub.json")).status, 401)
        for (sub, status): (JSONValue, Int) in [(.string(""), 401), (.number("7"), 401),
                                                (.string("a\u{0}"), 403), (.string(String(repeating: "x", count: 256)), 403)] {
            for path in ["/me", "/images"] {
                let response = try invoke(event(path: path, claims: .some(["sub": sub])))
                XCTAssertEqual(response.status, status, "\(sub) \(path)")
            }
        }
        XCTAssertEqual(store.reads, [])
        // A subject with a path in it is hashed: it reads its own record and no other key.
        for sub in ["auth0|../../images", "a/b", "..", "a b", "a%2fb"] {
            store.requests.removeAll()
            XCTAssertEqual(try invoke(event(path: "/me", claims: .some(["sub": .string(sub)]))).status, 404, sub)
            XCTAssertEqual(store.reads, ["user \(MemoryStore.digest(sub)) -> 404"], sub)
        }
        // Unknown routes do not reveal themselves to anonymous callers either.
        XCTAssertEqual(try invoke(event("api-unknown-route.json", claims: .some(nil))).status, 401)
    }

    func testRequiredScope() throws {
        let scope = "read:images"
        XCTAssertEqual(try invoke(sample("api-get-images.json"), requiredScope: scope).status, 200)
        // From the `scope` claim alone, or from API Gateway's scopes alone.
        XCTAssertEqual(try invoke(event(scopes: .some(nil)), requiredScope: scope).status, 200)
        XCTAssertEqual(try invoke(event(claims: .some(["sub": .string("auth0|1")]), scopes: .some([scope])), requiredScope: scope).status, 200)

        let denied = try invoke(event(claims: .some(["sub": .string("auth0|1"), "scope": .string("openid profile")]), scopes: .some(nil)),
                                requiredScope: scope)
        XCTAssertEqual(denied.status, 403)
        XCTAssertEqual(denied.body?["error"], .string("forbidden"))
        XCTAssertEqual(denied.headers["www-authenticate"], #"Bearer error="insufficient_scope", scope="read:images""#)
        XCTAssertEqual(try invoke(event("api-get-image.json", claims: .some(["sub": .string("auth0|1")]), scopes: .some(nil)),
                              requiredScope: scope).status, 403)
        // A prefix of the scope is not the scope.
        XCTAssertEqual(try invoke(event(claims: .some(["sub": .string("auth0|1"), "scope": .string("read:image")]), scopes: .some(nil)),
                              requiredScope: scope).status, 403)
        // /me is the caller's own record: no scope needed.
        XCTAssertEqual(try invoke(event("api-get-me.json", claims: .some(["sub": .string(Self.sampleSub)]), scopes: .some(nil)),
                              requiredScope: scope).status, 200)
    }

    // MARK: - 404 / 405

    func testNotFound() throws {
        let unknown = try invoke(sample("api-unknown-route.json"))
        XCTAssertEqual(unknown.status, 404)
        XCTAssertEqual(unknown.body?["error"], .string("not_found"))
        for path in ["/", "/images/", "/me/", "/imagesx", "/users/x.json", "/IMAGES"] {
            XCTAssertEqual(try invoke(event(path: path)).status, 404, path)
        }
        XCTAssertEqual(store.reads, [])

        let noImage = try invoke(event(path: "/images/cats/missing.png"))
        XCTAssertEqual(noImage.status, 404)
        XCTAssertNil(noImage.headers["etag"])

        store.removeUsers()
        let noUser = try invoke(sample("api-get-me.json"))
        XCTAssertEqual(noUser.status, 404)
        XCTAssertEqual(noUser.body?["error"], .string("not_found"))
    }

    func testWrongMethodSampleEvent() throws {
        let response = try invoke(sample("api-wrong-method.json"))  // DELETE /images/cats/tabby.png
        XCTAssertEqual(response.status, 405)
        XCTAssertEqual(response.headers["allow"], "GET")
        XCTAssertEqual(response.body?["error"], .string("method_not_allowed"))
        for (method, path) in [("POST", "/me"), ("PUT", "/images"), ("head", "/images"), ("OPTIONS", "/me")] {
            XCTAssertEqual(try invoke(event(method: method, path: path)).status, 405, "\(method) \(path)")
        }
        XCTAssertEqual(try invoke(event(method: "get", path: "/me")).status, 200)
        XCTAssertEqual(store.reads.count, 1)
    }

    // MARK: - 500 without internals

    func testStoreFailureIs500WithoutInternals() throws {
        store.failure = SimulatedS3Failure()
        for name in ["api-get-images.json", "api-get-image.json", "api-get-me.json"] {
            let response = try invoke(sample(name))
            XCTAssertEqual(response.status, 500)
            XCTAssertEqual(response.body?["error"], .string("internal_error"))
            for secret in ["secret-bucket", "images.json", "SlowDown", "<Error>", "s3://"] {
                XCTAssertFalse(response.raw.contains(secret), "\(name) leaks \(secret)")
            }
        }
        XCTAssertEqual(logged.lines.count, 3)
        XCTAssertTrue(logged.lines[0].hasPrefix("GET listImages: GetObject s3://secret-bucket"), logged.lines[0])
        XCTAssertEqual(logged.records.map(\.level), [.error, .error, .error], "a 500 is an error")
        XCTAssertEqual(logged.records.map(\.requestID), ["req-1", "req-1", "req-1"])
        XCTAssertEqual(logged.records[0].fields["status"], .int(500))
    }

    func testCorruptCatalogOrRecordIs500() throws {
        store.setCatalog(#"{"not": "a catalog"}"#)
        XCTAssertEqual(try invoke(sample("api-get-images.json")).status, 500)
        store.setUser(Self.sampleSub, "not json")
        let response = try invoke(sample("api-get-me.json"))
        XCTAssertEqual(response.status, 500)
        XCTAssertFalse(response.raw.contains("users/"))
        XCTAssertEqual(logged.lines.count, 2)
        XCTAssertTrue(logged.lines[0].contains("catalog is not an array"), logged.lines[0])
        XCTAssertTrue(logged.lines[0].contains("the catalog s3://\(MemoryStore.apiBucket)/images.json cannot be served"), logged.lines[0])
    }
}
