import Storage
import API
import Basics
import HTTPClient
import JSON
import LambdaRuntime
import S3
import SigV4
import TestSupport
import XCTest
@testable import Handlers

/// `PUT /me` end to end inside the function: event bytes → `APIHandler` → discovery and userinfo
/// → the real `S3ObjectStore` (signed conditional GET/PUT) → payload 2.0, all on one scripted
/// transport, as in production where S3 and userinfo share one libcurl transport.
final class APIHandlerSignInTests: XCTestCase {
    static let sub = "auth0|64b1f0c2e4"
    static let issuer = "https://tenant.eu.auth0.com/"
    static let bearer = "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhdXRoMHw2NGIxZjBjMmU0In0.c2ln"

    static func event(body: String?) -> [UInt8] {
        var root: JSONObject = [
            "version": .string("2.0"), "rawPath": .string("/me"), "rawQueryString": .string(""),
            "headers": .object(["authorization": .string(bearer), "content-type": .string("application/json")]),
            "requestContext": .object([
                "http": .object(["method": .string("PUT"), "path": .string("/me")]),
                "requestId": .string("r-1"),
                "authorizer": .object(["jwt": .object(["claims": .object([
                    "sub": .string(sub), "iss": .string(issuer), "aud": .string("https://imagecat.example.com/api")])])]),
            ]),
        ]
        if let body { root["body"] = .string(body) }
        return JSONValue.object(root).serialized()
    }

    func testSignInRacesAnotherWriterOnS3AndKeepsItsMembers() throws {
        let theirs = #"{"sub":"auth0|64b1f0c2e4","createdAt":"2026-11-01T00:00:00Z","favourites":["images/a.png"]}"#
        let transport = ScriptedTransport([
            ScriptedTransport.status(200, #"{"issuer":"https://tenant.eu.auth0.com/","userinfo_endpoint":"https://tenant.eu.auth0.com/userinfo"}"#),
            ScriptedTransport.status(200, #"{"sub":"auth0|64b1f0c2e4","email":"ada@example.com","email_verified":true,"name":"Ada Lovelace"}"#),
            ScriptedTransport.status(404, s3ErrorXML("NoSuchKey")),
            ScriptedTransport.status(403, s3ErrorXML("AccessDenied")),  // no legacy record (no s3:ListBucket: a 403)
            ScriptedTransport.status(412, s3ErrorXML("PreconditionFailed")),
            ScriptedTransport.status(200, theirs, headers: [HTTPHeader(name: "ETag", value: "\"v1\"")]),
            ScriptedTransport.status(200, "", headers: [HTTPHeader(name: "ETag", value: "\"v2\"")]),
        ])
        let configuration = S3Configuration(region: "us-east-1", credentials: AWSCredentials(accessKeyId: "AKID", secretAccessKey: "secret"),
                                            endpoint: "http://127.0.0.1:9")
        let client = S3Client(configuration: configuration, transport: transport, retryPolicy: S3RetryPolicy(maxAttempts: 1))
        let store = S3ObjectStore(client: client, forbiddenIsMissing: true)   // as APIHandler makes it
        let logged = LogLines()
        var api = ImageAPI(store: store, bucket: "pics", log: logged.log, nowMs: { 1_800_000_000_000 },
                           profiles: ProfileSource(issuer: Self.issuer, transport: transport))
        api.sleepMs = { _ in }
        let context = InvocationContext(requestID: "r-1", deadline: nil, invokedFunctionARN: "arn:aws:lambda:us-east-1:1:function:api")
        let answer = try JSONValue(parsing: APIHandler(api: api).handle(Self.event(body: #"{"email":"mallory@evil.example"}"#), context: context))

        XCTAssertEqual(answer["statusCode"]?.int64Value, 200, "the other writer created it: a refresh")
        let now = UTCTime.iso8601(epochSeconds: 1_800_000_000)
        let expected = #"{"sub":"auth0|64b1f0c2e4","createdAt":"2026-11-01T00:00:00Z","favourites":["images/a.png"],"email":"ada@example.com","email_verified":true,"name":"Ada Lovelace","lastSignInAt":"\#(now)"}"#
        XCTAssertEqual(answer["body"]?.stringValue, expected)
        let requests = transport.requests
        XCTAssertEqual(requests.map { "\($0.method) \($0.url)" }, [
            "GET https://tenant.eu.auth0.com/.well-known/openid-configuration",
            "GET https://tenant.eu.auth0.com/userinfo",
            "GET http://127.0.0.1:9/pics/users/sha256/e9767b0f58bede765a767ba93eda7b82f7a4a2dad0811779a8c07029a7573818.json",
            "GET http://127.0.0.1:9/pics/users/auth0%7C64b1f0c2e4.json",
            "PUT http://127.0.0.1:9/pics/users/sha256/e9767b0f58bede765a767ba93eda7b82f7a4a2dad0811779a8c07029a7573818.json",
            "GET http://127.0.0.1:9/pics/users/sha256/e9767b0f58bede765a767ba93eda7b82f7a4a2dad0811779a8c07029a7573818.json",
            "PUT http://127.0.0.1:9/pics/users/sha256/e9767b0f58bede765a767ba93eda7b82f7a4a2dad0811779a8c07029a7573818.json",
        ])
        XCTAssertEqual(requests[1].header("authorization"), Self.bearer)
        for s3 in requests[2...] {
            XCTAssertTrue(s3.header("authorization")?.hasPrefix("AWS4-HMAC-SHA256 ") == true, "S3 gets its own signature, never the caller's token")
        }
        XCTAssertEqual(requests[4].header("if-none-match"), "*")
        XCTAssertEqual(requests[6].header("if-match"), "\"v1\"")
        XCTAssertEqual(requests[6].bodyText, expected)
        XCTAssertFalse(requests[6].bodyText.contains("mallory"))
        XCTAssertEqual(logged.lines, [])
    }
}
