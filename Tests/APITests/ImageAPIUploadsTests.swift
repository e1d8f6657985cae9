import Storage
import Foundation
import HTTPClient
import JSON
import S3
import TestSupport
import XCTest
@testable import SigV4
@testable import API

/// Records what it was asked to sign, and answers a URL that shows it, so a test can check
/// exactly which key, headers, time and lifetime went into a presigned URL.
final class RecordingPresigner: URLPresigner {
    struct Call: Equatable {
        var method: String
        var key: String
        var headers: [String]
        var signedAt: Int64
        var expiresInSeconds: Int
        /// The signed query parameters, `name=value`.
        var query: [String] = []
    }

    var calls: [Call] = []

    func presignedURL(method: String, bucket: String, key: String, query: [(name: String, value: String)],
                      headers: [HTTPHeader], signedAt: Int64, expiresInSeconds: Int) -> String {
        calls.append(Call(method: method, key: key, headers: headers.map { "\($0.name): \($0.value)" },
                          signedAt: signedAt, expiresInSeconds: expiresInSeconds,
                          query: query.map { "\($0.name)=\($0.value)" }))
        return "https://s3.test/\(method)/\(key)?t=\(signedAt)&e=\(expiresInSeconds)"
    }
}

/// Payload 2.0 events for the upload tests, built from the repository's sample event.
enum UploadEvents {
    static let eventsDir = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("events")
    static let claims: JSONObject = ["sub": .string("auth0|uploader"), "scope": .string("read:images write:images")]

    /// `method path?query` with `body`; `claims: nil` removes the authorizer.
    static func event(method: String = "POST", path: String = "/uploads", query: [String: String] = [:],
                      headers: [String: String] = [:], body: String? = nil, base64: Bool = false,
                      claims: JSONObject? = UploadEvents.claims) throws -> JSONValue {
        let sample = try JSONValue(parsing: [UInt8](Data(contentsOf: eventsDir.appendingPathComponent("api-get-images.json"))))
        guard case .object(var root) = sample, case .object(var context) = root["requestContext"]!,
              case .object(var http) = context["http"]!, case .object(var allHeaders) = root["headers"]! else {
            throw SampleError(name: "api-get-images.json")
        }
        http["method"] = .string(method)
        http["path"] = .string(path)
        context["http"] = .object(http)
        root["rawPath"] = .string(path)
        root["rawQueryString"] = .string("")
        root["queryStringParameters"] = query.isEmpty ? nil
            : .object(JSONObject(query.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
        for (name, value) in headers { allHeaders[name] = .string(value) }
        root["headers"] = .object(allHeaders)
        context["authorizer"] = claims.map { .object(["jwt": .object(["claims": .object($0)])]) }
        root["requestContext"] = .object(context)
        if let body {
            root["body"] = .string(base64 ? Data(body.utf8).base64EncodedString() : body)
            root["isBase64Encoded"] = .bool(base64)
        }
        return .object(root)
    }

    static func body(name: String = "cat.png", contentType: String = "image/png", size: Int64 = 1234) -> String {
        String(decoding: JSONValue.object(["name": .string(name), "contentType": .string(contentType), "size": .int(size)]).serialized(),
               as: UTF8.self)
    }
}

/// `POST /uploads`: validation (every 400), authentication, the response's shape and expiry.
final class ImageAPIUploadsTests: XCTestCase {
    static let now: Int64 = 1_800_000_000  // 2027-01-15T08:00:00Z

    let store = MemoryStore()
    let presigner = RecordingPresigner()

    func handler(_ policy: UploadPolicy = UploadPolicy(), presigner: (any URLPresigner)?? = .none) -> ImageAPI {
        let chosen: (any URLPresigner)? = presigner ?? self.presigner
        return ImageAPI(store: store, bucket: MemoryStore.apiBucket, uploads: policy, presigner: chosen,
                        nowMs: { Self.now * 1000 }, uploadID: { "0123456789abcdef" })
    }

    func invoke(_ event: JSONValue, _ handler: ImageAPI? = nil) throws -> (status: Int, headers: [String: String], body: JSONValue?) {
        let payload = try (handler ?? self.handler()).handle(event.serialized(), requestID: "req-up")
        let response = try JSONValue(parsing: payload)
        var headers: [String: String] = [:]
        for member in response["headers"]?.objectValue?.members ?? [] { headers[member.key] = member.value.stringValue }
        let raw = try XCTUnwrap(response["body"]?.stringValue)
        return (Int(try XCTUnwrap(response["statusCode"]?.int64Value)), headers, raw.isEmpty ? nil : try JSONValue(parsing: raw))
    }

    func post(_ body: String?, _ handler: ImageAPI? = nil) throws -> (status: Int, headers: [String: String], body: JSONValue?) {
        try invoke(UploadEvents.event(body: body), handler)
    }

    // MARK: - 200

    func testResponseShapeAndSignedHeaders() throws {
        let response = try post(UploadEvents.body(name: "cat.png", contentType: "image/png", size: 48213))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers["content-type"], "application/json")
        XCTAssertEqual(response.headers["cache-control"], "no-store")
        XCTAssertNil(response.headers["etag"])
        let body = try XCTUnwrap(response.body?.objectValue)
        XCTAssertEqual(body.members.map(\.key), ["url", "method", "headers", "key", "size", "expiresAt", "expiresIn"])
        XCTAssertEqual(body["method"], .string("PUT"))
        XCTAssertEqual(body["key"], .string("images/uploads/0123456789abcdef/cat.png"))
        XCTAssertEqual(body["headers"], .object(["Content-Type": .string("image/png")]))
        XCTAssertEqual(body["size"], .int(48213))
        XCTAssertEqual(body["expiresAt"], .string("2027-01-15T08:05:00Z"))
        XCTAssertEqual(body["expiresIn"], .int(300))
        XCTAssertEqual(body["url"], .string("https://s3.test/PUT/images/uploads/0123456789abcdef/cat.png?t=1800000000&e=300"))
        // Content type and exact length are signed: S3 refuses a PUT with any other.
        XCTAssertEqual(presigner.calls, [RecordingPresigner.Call(
            method: "PUT", key: "images/uploads/0123456789abcdef/cat.png",
            headers: ["Content-Type: image/png", "Content-Length: 48213"], signedAt: Self.now, expiresInSeconds: 300)])
        XCTAssertEqual(store.reads, [], "an upload URL costs no S3 request")
    }

    func testExpiryAndPrefixComeFromThePolicy() throws {
        let policy = UploadPolicy(prefix: "incoming/", expiresInSeconds: 60, maxBytes: 10)
        let response = try post(UploadEvents.body(size: 10), handler(policy))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.body?["key"], .string("incoming/0123456789abcdef/cat.png"))
        XCTAssertEqual(response.body?["expiresAt"], .string("2027-01-15T08:01:00Z"))
        XCTAssertEqual(response.body?["expiresIn"], .int(60))
        XCTAssertEqual(presigner.calls.map(\.expiresInSeconds), [60])
    }

    /// Each upload gets its own directory, time-ordered: later uploads sort after earlier ones.
    func testEveryKeyGetsItsOwnTimeOrderedDirectory() throws {
        let real = ImageAPI(store: store, bucket: MemoryStore.apiBucket, uploads: UploadPolicy(), presigner: presigner)
        for _ in 0..<2 { XCTAssertEqual(try post(UploadEvents.body(), real).status, 200) }
        let keys = presigner.calls.map(\.key)
        XCTAssertEqual(Set(keys).count, 2, "\(keys)")
        for key in keys {
            let parts = key.split(separator: "/")
            XCTAssertEqual(parts.count, 4, key)
            XCTAssertEqual(parts[2].count, 22, key)
            XCTAssertTrue(parts[2].allSatisfy { $0.isHexDigit }, key)
            XCTAssertEqual(parts[3], "cat.png")
        }
        XCTAssertLessThanOrEqual(keys[0].split(separator: "/")[2].prefix(12), keys[1].split(separator: "/")[2].prefix(12))
    }

    func testAcceptedNamesAndTypes() throws {
        let accepted: [(body: String, key: String, type: String)] = [
            (UploadEvents.body(name: "  tabby cat.png\t"), "tabby cat.png", "image/png"),
            (UploadEvents.body(name: "cats/tabby.png"), "cats/tabby.png", "image/png"),
            (UploadEvents.body(name: "ünïcødé + plus%20.JPG", contentType: "IMAGE/JPEG"), "ünïcødé + plus%20.JPG", "image/jpeg"),
            (UploadEvents.body(name: "..hidden..png"), "..hidden..png", "image/png"),
            (UploadEvents.body(name: String(repeating: "é", count: 127) + "x"), String(repeating: "é", count: 127) + "x", "image/png"),
            (UploadEvents.body(size: UploadPolicy.defaultMaxBytes), "cat.png", "image/png"),
        ]
        for (body, name, type) in accepted {
            let response = try post(body)
            XCTAssertEqual(response.status, 200, body)
            XCTAssertEqual(response.body?["key"], .string("images/uploads/0123456789abcdef/" + name), body)
            XCTAssertEqual(response.body?["headers"]?["Content-Type"], .string(type), body)
        }
        for type in UploadPolicy.contentTypes {
            XCTAssertEqual(try post(UploadEvents.body(contentType: type)).status, 200, type)
        }
    }

    func testBase64BodyAndTheFullLambdaPath() throws {
        let response = try invoke(UploadEvents.event(body: UploadEvents.body(name: "b64.gif", contentType: "image/gif"), base64: true))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.body?["key"], .string("images/uploads/0123456789abcdef/b64.gif"))
        guard case .object(var broken) = try UploadEvents.event(body: "x", base64: true) else { return XCTFail() }
        broken["body"] = .string("%%%")  // not base64, though the event says it is
        // A body is the request's content, not the event's shape: only the route that reads it fails.
        let refused = try invoke(.object(broken))
        XCTAssertEqual(refused.status, 400)
        XCTAssertEqual(refused.body?["error"], .string("invalid_body"))
    }

    func testABodyIsDecodedOnlyByARouteThatReadsOne() throws {
        guard case .object(var get) = try UploadEvents.event(method: "GET", path: "/images", body: "x", base64: true) else {
            return XCTFail()
        }
        get["body"] = .string("%%%")  // not base64, though the event says it is
        XCTAssertEqual(try invoke(.object(get)).status, 200, "a GET ignores a body it does not read")
    }

    // MARK: - 400

    func testEveryInvalidRequestIs400WithItsCode() throws {
        let long = String(repeating: "a", count: UploadPolicy.maxNameBytes + 1)
        let cases: [(body: String?, code: String)] = [
            (nil, "invalid_body"),
            ("", "invalid_body"),
            ("not json", "invalid_body"),
            ("[]", "invalid_body"),
            (#""cat.png""#, "invalid_body"),
            (#"{"name":"cat.png","contentType":"image/png","size":1,"pad":"\#(String(repeating: "x", count: 4096))"}"#, "invalid_body"),
            (#"{"contentType":"image/png","size":1}"#, "invalid_name"),
            (#"{"name":5,"contentType":"image/png","size":1}"#, "invalid_name"),
            (UploadEvents.body(name: ""), "invalid_name"),
            (UploadEvents.body(name: "   "), "invalid_name"),
            (UploadEvents.body(name: long), "invalid_name"),
            (UploadEvents.body(name: String(repeating: "é", count: 128)), "invalid_name"),
            (UploadEvents.body(name: ".."), "invalid_name"),
            (UploadEvents.body(name: "../images.json"), "invalid_name"),
            (UploadEvents.body(name: "a/../../users/x.json"), "invalid_name"),
            (UploadEvents.body(name: "./cat.png"), "invalid_name"),
            (UploadEvents.body(name: "a/%2e/cat.png"), "invalid_name"),
            (UploadEvents.body(name: "%2E%2e/cat.png"), "invalid_name"),
            (UploadEvents.body(name: "/cat.png"), "invalid_name"),
            (UploadEvents.body(name: "cats/"), "invalid_name"),
            (UploadEvents.body(name: "cats//tabby.png"), "invalid_name"),
            (UploadEvents.body(name: "a\\b.png"), "invalid_name"),
            (UploadEvents.body(name: "cat\u{0}.png"), "invalid_name"),
            (UploadEvents.body(name: "cat\n.png"), "invalid_name"),
            (UploadEvents.body(name: "cat\u{7F}.png"), "invalid_name"),
            (UploadEvents.body(name: "cat\u{85}.png"), "invalid_name"),
            (UploadEvents.body(name: "\u{202E}gnp.exe"), "invalid_name"),
            (UploadEvents.body(name: "cat\u{2028}.png"), "invalid_name"),
            (#"{"name":"cat.png","size":1}"#, "invalid_content_type"),
            (#"{"name":"cat.png","contentType":7,"size":1}"#, "invalid_content_type"),
            (UploadEvents.body(contentType: ""), "invalid_content_type"),
            (UploadEvents.body(contentType: "text/plain"), "invalid_content_type"),
            (UploadEvents.body(contentType: "application/octet-stream"), "invalid_content_type"),
            (UploadEvents.body(contentType: "image/png; charset=binary"), "invalid_content_type"),
            (UploadEvents.body(contentType: "image/"), "invalid_content_type"),
            (UploadEvents.body(contentType: "image/x-portable-anymap"), "invalid_content_type"),
            (UploadEvents.body(contentType: " image/png"), "invalid_content_type"),
            (#"{"name":"cat.png","contentType":"image/png"}"#, "invalid_size"),
            (#"{"name":"cat.png","contentType":"image/png","size":"12"}"#, "invalid_size"),
            (#"{"name":"cat.png","contentType":"image/png","size":1.5}"#, "invalid_size"),
            (#"{"name":"cat.png","contentType":"image/png","size":1e3}"#, "invalid_size"),
            (#"{"name":"cat.png","contentType":"image/png","size":-1}"#, "invalid_size"),
            (#"{"name":"cat.png","contentType":"image/png","size":0}"#, "invalid_size"),
            (#"{"name":"cat.png","contentType":"image/png","size":99999999999999999999}"#, "invalid_size"),
            (UploadEvents.body(size: UploadPolicy.defaultMaxBytes + 1), "too_large"),
        ]
        for (body, code) in cases {
            let response = try post(body)
            XCTAssertEqual(response.status, 400, "\(body ?? "nil")")
            XCTAssertEqual(response.body?["error"], .string(code), "\(body ?? "nil")")
            XCTAssertFalse(response.body?["message"]?.stringValue?.isEmpty ?? true, "\(body ?? "nil")")
            XCTAssertEqual(response.headers["cache-control"], "no-store")
        }
        XCTAssertEqual(presigner.calls, [], "nothing is signed for a refused request")
        XCTAssertEqual(store.reads, [])
    }

    func testTooLargeSaysTheLimit() throws {
        let response = try post(UploadEvents.body(size: 11), handler(UploadPolicy(maxBytes: 10)))
        XCTAssertEqual(response.status, 400)
        XCTAssertEqual(response.body?["error"], .string("too_large"))
        XCTAssertEqual(response.body?["message"], .string("the file is 11 bytes; uploads are limited to 10 bytes"))
    }

    // MARK: - 401, 403, 405, 501

    func testWithoutClaimsIs401AndSignsNothing() throws {
        let response = try invoke(UploadEvents.event(body: UploadEvents.body(), claims: nil))
        XCTAssertEqual(response.status, 401)
        XCTAssertEqual(response.body?["error"], .string("unauthorized"))
        XCTAssertEqual(response.headers["www-authenticate"], "Bearer")
        XCTAssertEqual(try invoke(UploadEvents.event(body: UploadEvents.body(), claims: ["scope": .string("x")])).status, 401)
        XCTAssertEqual(presigner.calls, [])
    }

    func testUploadScope() throws {
        let policy = UploadPolicy(scope: "upload:images")
        let refused = try post(UploadEvents.body(), handler(policy))
        XCTAssertEqual(refused.status, 403)
        XCTAssertEqual(refused.body?["error"], .string("forbidden"))
        XCTAssertTrue(refused.headers["www-authenticate"]?.contains("insufficient_scope") ?? false)
        XCTAssertEqual(presigner.calls, [])
        let allowed = try invoke(UploadEvents.event(body: UploadEvents.body(),
                                                    claims: ["sub": .string("auth0|u"), "scope": .string("upload:images")]),
                                 handler(policy))
        XCTAssertEqual(allowed.status, 200)
        // REQUIRED_SCOPE guards reading the catalog, not uploading.
        let reader = ImageAPI(store: store, bucket: MemoryStore.apiBucket, requiredScope: "read:catalog", uploads: UploadPolicy(), presigner: presigner)
        XCTAssertEqual(try post(UploadEvents.body(), reader).status, 200)
    }

    func testOtherMethodsAre405() throws {
        for method in ["GET", "PUT", "DELETE"] {
            let response = try invoke(UploadEvents.event(method: method))
            XCTAssertEqual(response.status, 405, method)
            XCTAssertEqual(response.headers["allow"], "POST", method)
        }
        let images = try invoke(UploadEvents.event(method: "POST", path: "/images", body: UploadEvents.body()))
        XCTAssertEqual(images.status, 405)
        XCTAssertEqual(images.headers["allow"], "GET")
        XCTAssertEqual(try invoke(UploadEvents.event(path: "/uploads/x")).status, 404)
        XCTAssertEqual(try invoke(UploadEvents.event(path: "/uploads/../images")).status, 400)
        XCTAssertEqual(presigner.calls, [])
    }

    func testWithoutAPresignerIs501() throws {
        let response = try post(UploadEvents.body(), handler(presigner: .some(nil)))
        XCTAssertEqual(response.status, 501)
        XCTAssertEqual(response.body?["error"], .string("not_implemented"))
    }

    // MARK: - The real signer

    /// The S3 store signs with the injected time, the client's credentials and endpoint; the
    /// content type and length are in `X-Amz-SignedHeaders`. (That S3 accepts exactly these URLs
    /// and nothing else is Tests/integration/test_presign.py, against a real server.)
    func testS3StoreSignsWithTheGivenTime() throws {
        let configuration = S3Configuration(region: "eu-west-1",
                                            credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret"),
                                            endpoint: "http://127.0.0.1:8333")
        let transport = ScriptedTransport([])
        let client = S3Client(configuration: configuration, transport: transport)
        let s3 = S3ObjectStore(client: client)
        let headers = [HTTPHeader(name: "Content-Type", value: "image/png"), HTTPHeader(name: "Content-Length", value: "171")]
        let url = s3.presignedURL(method: "PUT", bucket: "pics", key: "images/uploads/ab/my cat+1.png", query: [], headers: headers,
                                  signedAt: Self.now, expiresInSeconds: 300)
        XCTAssertTrue(url.hasPrefix("http://127.0.0.1:8333/pics/images/uploads/ab/my%20cat%2B1.png?"), url)
        for part in ["X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Credential=AKIDEXAMPLE%2F20270115%2Feu-west-1%2Fs3%2Faws4_request",
                     "X-Amz-Date=20270115T080000Z", "X-Amz-Expires=300",
                     "X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost", "X-Amz-Signature="] {
            XCTAssertTrue(url.contains(part), "\(part) missing from \(url)")
        }
        XCTAssertEqual(url, s3.presignedURL(method: "PUT", bucket: "pics", key: "images/uploads/ab/my cat+1.png", query: [], headers: headers,
                                            signedAt: Self.now, expiresInSeconds: 300), "same inputs, same URL")
        XCTAssertNotEqual(url, s3.presignedURL(method: "PUT", bucket: "pics", key: "images/uploads/ab/my cat+1.png", query: [], headers: headers,
                                               signedAt: Self.now + 1, expiresInSeconds: 300))
        XCTAssertTrue(transport.requests.isEmpty, "presigning sends nothing")
    }
}

/// A transport that must never be used: presigning makes no request.
