import Storage
import Foundation
import HTTPClient
import JSON
import TestSupport
import XCTest
@testable import API
import Basics

/// `PUT /me`: the record made or refreshed at sign-in, through the full Lambda path (event bytes
/// in, payload 2.0 out), with the issuer's discovery and userinfo answers scripted.
final class SignInTests: XCTestCase {
    static let sub = "auth0|5f7c8ec7c33c6c004bbafe82"
    static let issuer = "https://example.eu.auth0.com/"
    static let discoveryURL = "https://example.eu.auth0.com/.well-known/openid-configuration"
    static let userinfoURL = "https://example.eu.auth0.com/userinfo"
    static let token = "Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImV4YW1wbGUifQ.e30.c2lnbmF0dXJl"
    static let now: Int64 = 1_800_000_000
    static let eventsDir = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("events")

    let store = MemoryStore()
    let logged = LogLines()
    var sleeps: [Int] = []

    static var discovery: ScriptedTransport.Reply { ScriptedTransport.status(200, #"{"issuer":"https://example.eu.auth0.com/","userinfo_endpoint":"https://example.eu.auth0.com/userinfo","jwks_uri":"https://example.eu.auth0.com/.well-known/jwks.json"}"#) }
    static func userinfo(sub: String = SignInTests.sub) -> ScriptedTransport.Reply {
        ScriptedTransport.status(200, #"{"sub":"\#(sub)","email":"ada@example.com","email_verified":true,"name":"Ada Lovelace","picture":"https://example.com/ada.png","nickname":"ada"}"#)
    }

    func api(_ transport: ScriptedTransport?, namespace: String? = nil, issuer: String? = SignInTests.issuer,
             userinfoURL: String? = nil, clock: Int64 = SignInTests.now) -> ImageAPI {
        let profiles = transport.map { ProfileSource(claimNamespace: namespace, issuer: issuer, userinfoURL: userinfoURL, transport: $0) }
        profiles?.nowMs = { clock * 1000 }
        var api = ImageAPI(store: store, bucket: MemoryStore.apiBucket, log: logged.log, nowMs: { clock * 1000 }, profiles: profiles)
        api.nowMs = { clock * 1000 }
        api.sleepMs = { [unowned self] in sleeps.append($0) }
        api.jitter = { $0 }
        return api
    }

    /// `api-get-me.json` as `method` (default PUT), with claims, headers and body replaced.
    func event(method: String = "PUT", claims: [String: String]? = ["sub": SignInTests.sub, "iss": SignInTests.issuer],
               headers: [String: String] = [:], body: String? = nil) throws -> JSONValue {
        let text = try String(contentsOf: Self.eventsDir.appendingPathComponent("api-get-me.json"), encoding: .utf8)
        guard case .object(var root) = try JSONValue(parsing: text), case .object(var context) = root["requestContext"]!,
              case .object(var http) = context["http"]!, case .object(var h) = root["headers"]! else { throw SampleError(name: "api-get-me.json") }
        http["method"] = .string(method)
        context["http"] = .object(http)
        if let claims {
            context["authorizer"] = .object(["jwt": .object(["claims": .object(JSONObject(claims.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))])])
        } else {
            context["authorizer"] = nil
        }
        root["requestContext"] = .object(context)
        for (name, value) in headers { h[name] = .string(value) }
        root["headers"] = .object(h)
        if let body { root["body"] = .string(body) }
        return .object(root)
    }

    /// Runs `event` through the gateway encoding and decodes the payload 2.0 response.
    func invoke(_ api: ImageAPI, _ event: JSONValue, deadline: Deadline? = nil) throws -> (status: Int, etag: String?, body: JSONObject?, raw: String) {
        let response = try JSONValue(parsing: api.handle(event.serialized(), requestID: "req-1", deadline: deadline))
        let raw = try XCTUnwrap(response["body"]?.stringValue)
        return (Int(try XCTUnwrap(response["statusCode"]?.int64Value)), response["headers"]?["etag"]?.stringValue,
                raw.isEmpty ? nil : try JSONValue(parsing: raw).objectValue, raw)
    }

    func stored() throws -> JSONObject {
        try XCTUnwrap(JSONValue(parsing: XCTUnwrap(store.user(Self.sub)).bytes).objectValue)
    }

    static let iso = UTCTime.iso8601(epochSeconds: now)

    // MARK: - Created, refreshed

    func testFirstSignInCreatesTheRecordFromUserinfoAndGetMeReturnsIt() throws {
        let transport = ScriptedTransport([Self.discovery, Self.userinfo()])
        let api = api(transport)
        let put = try invoke(api, event())
        XCTAssertEqual(put.status, 201)
        XCTAssertEqual(put.raw, #"{"sub":"auth0|5f7c8ec7c33c6c004bbafe82","email":"ada@example.com","email_verified":true,"name":"Ada Lovelace","picture":"https://example.com/ada.png","createdAt":"\#(Self.iso)","lastSignInAt":"\#(Self.iso)"}"#)
        XCTAssertEqual(store.writes, ["put user \(MemoryStore.digest(Self.sub)) if-none-match * -> 200"])
        XCTAssertEqual(transport.requests.map(\.url), [Self.discoveryURL, Self.userinfoURL])
        XCTAssertNil(transport.requests[0].header("authorization"), "discovery is public: no token")
        XCTAssertEqual(transport.requests[1].header("authorization"), Self.token, "the caller's own header, as sent")
        XCTAssertEqual(transport.requests[1].method, "GET")
        XCTAssertLessThanOrEqual(try XCTUnwrap(transport.requests[1].timeoutMs), 3_000)
        XCTAssertEqual(transport.requests[1].maxBodyBytes, 64 * 1024)

        let get = try invoke(api, event(method: "GET"))
        XCTAssertEqual(get.status, 200)
        XCTAssertEqual(get.raw, put.raw, "GET /me returns exactly what PUT /me stored")
        XCTAssertEqual(get.etag, put.etag)
        XCTAssertFalse(logged.lines.joined().contains("eyJ"), "the token never reaches the log")
    }

    func testABareTokenIsSentAsBearerAndAnotherSchemeIsNot() throws {
        let bare = String(Self.token.dropFirst("Bearer ".count))
        let transport = ScriptedTransport([Self.discovery, Self.userinfo()])
        let put = try invoke(api(transport), event(headers: ["authorization": bare]))
        XCTAssertEqual(put.status, 201)
        XCTAssertEqual(put.body?["email"]?.stringValue, "ada@example.com", "a token without the scheme still reaches userinfo")
        XCTAssertEqual(transport.requests.map(\.url), [Self.discoveryURL, Self.userinfoURL])
        XCTAssertEqual(transport.requests[1].header("authorization"), Self.token)
        XCTAssertFalse(logged.lines.joined().contains("eyJ"), "the token never reaches the log")

        XCTAssertEqual(ProfileSource.bearer("bearer abc"), "bearer abc", "the caller's header as sent")
        for refused in [nil, "", "Basic YWRhOnNlY3JldA==", "Bearer", "two words"] {
            XCTAssertNil(ProfileSource.bearer(refused), "\(refused ?? "nil")")
        }
    }

    func testLaterSignInRefreshesKeepsHandAddedFieldsAndCreatedAtAndReusesDiscovery() throws {
        store.setUser(Self.sub, #"{"sub":"auth0|5f7c8ec7c33c6c004bbafe82","displayName":"Ada","favourites":["cats/tabby.png"],"email":"old@example.com","createdAt":"2026-01-01T00:00:00Z","lastSignInAt":"2026-01-01T00:00:00Z"}"#)
        let transport = ScriptedTransport([Self.discovery, Self.userinfo(), Self.userinfo()])
        let profiles = api(transport).profiles
        var first = api(transport)
        first.profiles = profiles
        let response = try invoke(first, event())
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.raw, #"{"sub":"auth0|5f7c8ec7c33c6c004bbafe82","displayName":"Ada","favourites":["cats/tabby.png"],"email":"ada@example.com","createdAt":"2026-01-01T00:00:00Z","lastSignInAt":"\#(Self.iso)","email_verified":true,"name":"Ada Lovelace","picture":"https://example.com/ada.png"}"#)
        XCTAssertEqual(store.writes.count, 1)
        XCTAssertTrue(store.writes[0].contains("if-match "), store.writes[0])

        var later = api(transport, clock: Self.now + 60)
        later.profiles = profiles
        let again = try invoke(later, event())
        XCTAssertEqual(again.status, 200)
        XCTAssertEqual(again.body?["createdAt"], .string("2026-01-01T00:00:00Z"))
        XCTAssertEqual(again.body?["lastSignInAt"], .string(UTCTime.iso8601(epochSeconds: Self.now + 60)))
        XCTAssertEqual(transport.requests.map(\.url), [Self.discoveryURL, Self.userinfoURL, Self.userinfoURL],
                       "the warm process keeps the discovered endpoint")
    }

    // MARK: - Concurrency

    /// Sign-in A reads (no record), then sign-in B of the same user creates the record and an
    /// administrator adds a member, all before A's write. A's `If-None-Match: *` loses; A reads
    /// again and re-applies, keeping B's `createdAt` and the administrator's member.
    func testConcurrentSignInsAndAHandEditLoseNothing() throws {
        let transport = ScriptedTransport([Self.discovery, Self.userinfo(), Self.userinfo()])
        let a = api(transport)
        var b = api(transport, clock: Self.now - 5)
        b.profiles = a.profiles
        store.beforeWrite = { [store] in
            let response = b.respond(to: GatewayRequest(method: "PUT", path: "/me", headers: ["authorization": Self.token],
                                                        claims: ["sub": .string(Self.sub), "iss": .string(Self.issuer)]))
            XCTAssertEqual(response.statusCode, 201)
            var record = (try? JSONValue(parsing: store.user(Self.sub)!.bytes))?.objectValue ?? [:]
            record["plan"] = .string("pro")
            store.setUser(Self.sub, bytes: JSONValue.object(record).serialized(), etag: "hand-edited")
        }
        let response = try invoke(a, event())
        XCTAssertEqual(response.status, 200, "A refreshed the record B created")
        XCTAssertEqual(store.writes, ["put user \(MemoryStore.digest(Self.sub)) if-none-match * -> 200",
                                      "put user \(MemoryStore.digest(Self.sub)) if-none-match * -> 412",
                                      "put user \(MemoryStore.digest(Self.sub)) if-match hand-edited -> 200"])
        let record = try stored()
        XCTAssertEqual(record["plan"], .string("pro"))
        XCTAssertEqual(record["createdAt"], .string(UTCTime.iso8601(epochSeconds: Self.now - 5)))
        XCTAssertEqual(record["lastSignInAt"], .string(Self.iso))
        XCTAssertEqual(record["email"], .string("ada@example.com"))
        XCTAssertEqual(sleeps, [10], "one backoff between the rounds")
        XCTAssertEqual(response.raw, String(decoding: store.user(Self.sub)!.bytes, as: UTF8.self))
    }

    func testContentionGivesUpAtTheDeadlineWith500() throws {
        store.forcedConflicts = 1_000
        let response = try invoke(api(nil), event(), deadline: Deadline(epochMilliseconds: Self.now * 1000 + 5))
        XCTAssertEqual(response.status, 500)
        XCTAssertEqual(store.writes.count, 1, "no backoff may run into the deadline's margin")
        XCTAssertEqual(sleeps, [])
        let unbounded = try invoke(api(nil), event())
        XCTAssertEqual(unbounded.status, 500)
        XCTAssertEqual(store.writes.count, 11, "then at most recordAttempts rounds")
        XCTAssertTrue(logged.lines.last?.contains("other writers kept changing it") == true, "\(logged.lines)")
    }

    // MARK: - Where the profile comes from

    func testUserinfoAboutAnotherSubjectIsIgnored() throws {
        let transport = ScriptedTransport([Self.discovery, Self.userinfo(sub: "auth0|someone-else")])
        let response = try invoke(api(transport), event())
        XCTAssertEqual(response.status, 201)
        XCTAssertEqual(response.body?["sub"], .string(Self.sub))
        XCTAssertNil(response.body?["email"])
        XCTAssertNil(response.body?["name"])
        XCTAssertEqual(transport.requests.count, 2)
        XCTAssertTrue(logged.lines.contains { $0.contains("another subject") }, "\(logged.lines)")
    }

    func testTokenFromAnotherIssuerMakesNoUserinfoCall() throws {
        let transport = ScriptedTransport([Self.discovery, Self.userinfo()])
        let response = try invoke(api(transport), event(claims: ["sub": Self.sub, "iss": "https://evil.example.com/"]))
        XCTAssertEqual(response.status, 201)
        XCTAssertNil(response.body?["email"])
        XCTAssertEqual(transport.requests.count, 0, "the caller's token is never sent to another issuer's endpoints")
        let noIss = try invoke(api(transport), event(claims: ["sub": Self.sub]))
        XCTAssertEqual(noIss.status, 200)
        XCTAssertEqual(transport.requests.count, 0)
    }

    func testEmailNeverComesFromTheRequest() throws {
        let body = #"{"sub":"auth0|other","email":"mallory@evil.example","email_verified":true,"name":"Mallory","createdAt":"1970-01-01T00:00:00Z"}"#
        // No trusted source at all: only sub and the times.
        let bare = try invoke(api(nil), event(headers: ["x-email": "mallory@evil.example"], body: body))
        XCTAssertEqual(bare.status, 201)
        XCTAssertEqual(bare.raw, #"{"sub":"auth0|5f7c8ec7c33c6c004bbafe82","createdAt":"\#(Self.iso)","lastSignInAt":"\#(Self.iso)"}"#)
        // With userinfo: its email, not the body's. A base64 body that is not base64 fails nothing.
        store.removeUsers()
        var event = try event(body: body)
        if case .object(var root) = event { root["isBase64Encoded"] = .bool(true); event = .object(root) }
        let transport = ScriptedTransport([Self.discovery, Self.userinfo()])
        let response = try invoke(api(transport), event)
        XCTAssertEqual(response.status, 201)
        XCTAssertEqual(response.body?["email"], .string("ada@example.com"))
        XCTAssertFalse(response.raw.contains("mallory") || response.raw.contains("Mallory") || response.raw.contains("1970"))
    }

    func testNamespacedClaimsFromAnAuth0Action() throws {
        let transport = ScriptedTransport([Self.discovery, Self.userinfo(sub: "never asked")])
        let ns = "https://imagecat.example.com/"
        let claims = ["sub": Self.sub, "iss": Self.issuer, ns + "email": "ada@example.com", ns + "email_verified": "true",
                      ns + "name": "Ada Lovelace", "email": "plain-claim@example.com"]
        let response = try invoke(api(transport, namespace: ns), event(claims: claims))
        XCTAssertEqual(response.status, 201)
        XCTAssertEqual(response.body?["email"], .string("ada@example.com"))
        XCTAssertEqual(response.body?["email_verified"], .bool(true), "API Gateway's \"true\" is stored as a boolean")
        XCTAssertEqual(response.body?["name"], .string("Ada Lovelace"))
        XCTAssertNil(response.body?["picture"])
        XCTAssertEqual(transport.requests.count, 0, "the claims are enough: no userinfo call")
        // The namespace configured but absent from this token: userinfo is asked instead.
        store.removeUsers()
        let fallback = try invoke(api(transport, namespace: ns), event())
        XCTAssertEqual(fallback.status, 201)
        XCTAssertEqual(transport.requests.map(\.url), [Self.discoveryURL, Self.userinfoURL])
    }

    func testExplicitUserinfoURLSkipsDiscoveryAndLocalAnswersWithoutEmailVerified() throws {
        let local = "http://127.0.0.1:41363/api/oidc"
        let transport = ScriptedTransport([ScriptedTransport.status(200, #"{"sub":"\#(Self.sub)","name":"Ada Lovelace","email":"ada@example.com","scope":"openid"}"#)])
        let api = api(transport, issuer: local, userinfoURL: local + "/userinfo")
        let response = try invoke(api, event(claims: ["sub": Self.sub, "iss": local]))
        XCTAssertEqual(response.status, 201)
        XCTAssertEqual(transport.requests.map(\.url), [local + "/userinfo"])
        XCTAssertEqual(response.body?["email"], .string("ada@example.com"))
        XCTAssertNil(response.body?["email_verified"])
        XCTAssertNil(response.body?["scope"], "only the profile members are copied")
    }

    func testDiscoveryOfAnHTTPIssuerAndItsRefusals() throws {
        let local = "http://127.0.0.1:41363/api/oidc"
        let ok = ScriptedTransport([ScriptedTransport.status(200, #"{"issuer":"\#(local)","userinfo_endpoint":"\#(local)/userinfo"}"#), Self.userinfo()])
        XCTAssertEqual(try invoke(api(ok, issuer: local), event(claims: ["sub": Self.sub, "iss": local])).status, 201)
        XCTAssertEqual(ok.requests.map(\.url), [local + "/.well-known/openid-configuration", local + "/userinfo"])
        let refusals = [
            #"{"issuer":"https://other.example.com/","userinfo_endpoint":"https://example.eu.auth0.com/userinfo"}"#,
            #"{"issuer":"https://example.eu.auth0.com/","userinfo_endpoint":"http://example.eu.auth0.com/userinfo"}"#,
            #"{"issuer":"https://example.eu.auth0.com/"}"#,
            #"["not an object"]"#,
        ]
        for document in refusals {
            store.removeUsers()
            let transport = ScriptedTransport([ScriptedTransport.status(200, document), Self.userinfo()])
            let response = try invoke(api(transport), event())
            XCTAssertEqual(response.status, 502, document)
            XCTAssertEqual(transport.requests.count, 1, "the token goes nowhere: \(document)")
        }
        XCTAssertTrue(store.writes.allSatisfy { $0.contains("-> 200") } && store.writes.count == 1)
    }

    func testUserinfoFailuresAre502WithDetailsOnlyInTheLog() throws {
        let failures: [ScriptedTransport.Reply] = [
            ScriptedTransport.status(401, #"{"error":"invalid_token"}"#),
            ScriptedTransport.status(200, "<html>"),
            ScriptedTransport.status(503),
            .failure(HTTPTransportError(code: 28, message: "Operation timed out", method: "GET", url: Self.userinfoURL)),
        ]
        for (i, failure) in failures.enumerated() {
            let response = try invoke(api(ScriptedTransport([Self.discovery, failure])), event())
            XCTAssertEqual(response.status, 502, "\(i)")
            XCTAssertEqual(response.body?["error"], .string("userinfo_unavailable"))
            XCTAssertFalse(response.raw.contains("auth0.com"), "no URL in the answer")
        }
        XCTAssertEqual(store.writes, [], "nothing is written without the profile")
        XCTAssertEqual(store.reads, [], "nor read")
        XCTAssertEqual(logged.lines.count, 4)
        XCTAssertTrue(logged.lines[0].contains("GET https://example.eu.auth0.com/userinfo: answered HTTP 401"), logged.lines[0])
        XCTAssertTrue(logged.lines[3].contains("timed out"), logged.lines[3])
        XCTAssertFalse(logged.lines.joined().contains("eyJ"), "the token never reaches the log")
        // No time left before the deadline: no call at all.
        let transport = ScriptedTransport([Self.discovery, Self.userinfo()])
        XCTAssertEqual(try invoke(api(transport), event(), deadline: Deadline(epochMilliseconds: Self.now * 1000 - 100)).status, 502)
        XCTAssertEqual(transport.requests.count, 0)
    }

    // MARK: - Refusals

    func testWithoutClaimsOrUsableSubIsRefusedAndTouchesNothing() throws {
        let transport = ScriptedTransport([Self.discovery, Self.userinfo()])
        for claims in [nil, ["iss": Self.issuer], ["sub": "", "iss": Self.issuer]] as [[String: String]?] {
            let response = try invoke(api(transport), event(claims: claims))
            XCTAssertEqual(response.status, 401, "\(String(describing: claims))")
            XCTAssertEqual(response.body?["error"], .string("unauthorized"))
        }
        let unusable = try invoke(api(transport), event(claims: ["sub": "a\u{1}b", "iss": Self.issuer]))
        XCTAssertEqual(unusable.status, 403)
        XCTAssertEqual(unusable.body?["error"], .string("invalid_subject"))
        XCTAssertEqual(store.reads, [])
        XCTAssertEqual(store.writes, [])
        XCTAssertEqual(transport.requests.count, 0)
    }

    func testARecordThatIsNotAJSONObjectIsNeverOverwritten() throws {
        for text in ["not json", #"["a","b"]"#, "null"] {
            store.setUser(Self.sub, text)
            let response = try invoke(api(nil), event())
            XCTAssertEqual(response.status, 500, text)
            XCTAssertEqual(response.body?["error"], .string("internal_error"))
            XCTAssertEqual(String(decoding: store.user(Self.sub)!.bytes, as: UTF8.self), text)
        }
        XCTAssertEqual(store.writes, [])
        XCTAssertEqual(logged.lines.count, 3)
        XCTAssertTrue(logged.lines[0].contains("not a JSON object; left as it is"), logged.lines[0])
    }

    func testStoreFailureIs500() throws {
        store.failure = SimulatedS3Failure()
        let response = try invoke(api(nil), event())
        XCTAssertEqual(response.status, 500)
        XCTAssertFalse(response.raw.contains("secret-bucket"))
    }
}
