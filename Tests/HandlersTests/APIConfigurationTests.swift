import Storage
import API
import Basics
import HTTPClient
import LambdaRuntime
import S3
import SigV4
import TestSupport
import XCTest
@testable import Handlers

/// The `api` handler as `_HANDLER=api` builds it: `APIConfiguration` from the environment (the
/// bucket, scopes, sign-in, and the upload and viewing variables `UPLOAD_*`, `MAX_UPLOAD_BYTES`,
/// `VIEW_*`), and `APIHandler`'s own answer to events that are not HTTP API events.
final class APIConfigurationTests: XCTestCase {
    static let base = ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "CATALOG_BUCKET": "b"]

    func make(_ extra: [String: String]) throws -> ImageAPI {
        let made = try HandlerRegistry.make(environment: apiEnvironment(Self.base.merging(extra) { $1 }))
        return try XCTUnwrap(made as? APIHandler).api
    }

    func testDefaults() throws {
        let api = try make([:])
        XCTAssertEqual(api.uploads, UploadPolicy())
        XCTAssertEqual(api.uploads.prefix, "images/uploads/")
        XCTAssertEqual(api.uploads.expiresInSeconds, 300)
        XCTAssertEqual(api.uploads.maxBytes, 20 * 1024 * 1024)
        XCTAssertNil(api.uploads.scope)
        XCTAssertEqual(api.uploads.viewPrefix, "images/")
        XCTAssertEqual(api.uploads.viewExpiresInSeconds, 600)
        XCTAssertEqual(api.uploads.catalogKey, "images.json")
        XCTAssertTrue(api.presigner is S3ObjectStore, "the function signs with its own S3 store")
    }

    func testEveryVariableIsRead() throws {
        let api = try make(["UPLOAD_PREFIX": "incoming/photos/", "UPLOAD_EXPIRES_SECONDS": "60", "MAX_UPLOAD_BYTES": "1000",
                            "UPLOAD_SCOPE": "write:images", "VIEW_PREFIX": "", "VIEW_URL_EXPIRES_SECONDS": "120",
                            "CATALOG_KEY": "catalog/images.json"])
        XCTAssertEqual(api.uploads, UploadPolicy(prefix: "incoming/photos/", expiresInSeconds: 60, maxBytes: 1000,
                                                   scope: "write:images", viewPrefix: "", viewExpiresInSeconds: 120,
                                                   catalogKey: "catalog/images.json"))
        // Empty values count as unset (except VIEW_PREFIX, where empty means "every entry").
        XCTAssertEqual(try make(["UPLOAD_PREFIX": "", "UPLOAD_EXPIRES_SECONDS": "", "MAX_UPLOAD_BYTES": ""]).uploads, UploadPolicy())
    }

    func testBadValuesFailAtStartNamingTheVariable() {
        let bad: [(String, String)] = [
            ("UPLOAD_PREFIX", "uploads"), ("UPLOAD_PREFIX", "/uploads/"), ("UPLOAD_PREFIX", "users/"),
            ("UPLOAD_PREFIX", "users/uploads/"), ("UPLOAD_PREFIX", "a/../b/"), ("UPLOAD_PREFIX", "a//"),
            ("UPLOAD_PREFIX", "./"), ("UPLOAD_PREFIX", "a/%2e%2E/"), ("UPLOAD_PREFIX", "a\nb/"), ("UPLOAD_PREFIX", "a\\b/"),
            ("UPLOAD_PREFIX", String(repeating: "p", count: 600) + "/"),
            ("UPLOAD_EXPIRES_SECONDS", "0"), ("UPLOAD_EXPIRES_SECONDS", "3601"), ("UPLOAD_EXPIRES_SECONDS", "-5"),
            ("UPLOAD_EXPIRES_SECONDS", "5m"), ("UPLOAD_EXPIRES_SECONDS", " 60"),
            ("MAX_UPLOAD_BYTES", "0"), ("MAX_UPLOAD_BYTES", "5368709121"), ("MAX_UPLOAD_BYTES", "20MB"),
            ("MAX_UPLOAD_BYTES", "99999999999999999999"),
            ("VIEW_URL_EXPIRES_SECONDS", "1"), ("VIEW_URL_EXPIRES_SECONDS", "43201"),
            ("VIEW_PREFIX", "users/"), ("VIEW_PREFIX", "images"), ("VIEW_PREFIX", "/images/"),
            ("UPLOAD_SCOPE", "a b"), ("UPLOAD_SCOPE", "a\"b"),
        ]
        for (name, value) in bad {
            XCTAssertThrowsError(try make([name: value]), "\(name)=\(value)") {
                XCTAssertEqual(($0 as? LambdaError)?.errorType, "Runtime.InvalidConfiguration", "\(name)=\(value)")
                XCTAssertTrue("\($0)".contains(name), "\(name)=\(value): \($0)")
            }
        }
        // An upload prefix that holds the catalog could overwrite it.
        XCTAssertThrowsError(try make(["CATALOG_KEY": "uploads/images.json", "UPLOAD_PREFIX": "uploads/"])) {
            XCTAssertTrue("\($0)".contains("must not contain the catalog"), "\($0)")
        }
        XCTAssertNoThrow(try make(["UPLOAD_EXPIRES_SECONDS": "3600", "MAX_UPLOAD_BYTES": "5368709120",
                                   "VIEW_URL_EXPIRES_SECONDS": "2", "UPLOAD_PREFIX": "..a/b../"]))
    }

    func testUploadsNeedTheReadScopeUnlessTheirOwnIsSet() throws {
        XCTAssertEqual(try make(["REQUIRED_SCOPE": "read:images"]).uploads.scope, "read:images",
                       "a token that may not read the catalog must not mint upload URLs")
        XCTAssertEqual(try make(["REQUIRED_SCOPE": "read:images", "UPLOAD_SCOPE": "upload:images"]).uploads.scope, "upload:images")
        XCTAssertEqual(try make(["UPLOAD_SCOPE": "upload:images"]).uploads.scope, "upload:images")
        XCTAssertNil(try make([:]).uploads.scope)
    }

    func testNonHTTPEventsFailTheInvocation() throws {
        // No scripted replies: reading S3 would fail the test's transport, not answer.
        let transport = ScriptedTransport([])
        let configuration = S3Configuration(region: "us-east-1", credentials: AWSCredentials(accessKeyId: "AKID", secretAccessKey: "secret"))
        let store = S3ObjectStore(client: S3Client(configuration: configuration, transport: transport))
        let handler = APIHandler(api: ImageAPI(store: store, bucket: "b"))
        let context = InvocationContext(requestID: "req-1", deadline: nil, invokedFunctionARN: "arn:aws:lambda:us-east-1:1:function:api")
        for text in [#"{"version":"1.0","httpMethod":"GET","path":"/images"}"#, #"{"Records":[]}"#, "[1]", "{", #"{"version":"2.0","rawPath":"/me"}"#] {
            XCTAssertThrowsError(try handler.handle(Array(text.utf8), context: context), text) {
                XCTAssertEqual(($0 as? LambdaError)?.errorType, "Function.InvalidEvent")
            }
        }
    }

    func testInitNeedsTheBucket() throws {
        let base = ["_HANDLER": "api", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"]
        XCTAssertThrowsError(try HandlerRegistry.make(environment: apiEnvironment(base))) {
            XCTAssertEqual(($0 as? LambdaError)?.errorType, "Runtime.InvalidConfiguration")
            XCTAssertTrue("\($0)".contains("CATALOG_BUCKET is not set"), "\($0)")
        }
        XCTAssertThrowsError(try HandlerRegistry.make(environment: apiEnvironment(base.merging(["CATALOG_BUCKET": ""]) { $1 })))
        XCTAssertThrowsError(try HandlerRegistry.make(environment: apiEnvironment(base.merging(["CATALOG_BUCKET": "b", "REQUIRED_SCOPE": "a b"]) { $1 }))) {
            XCTAssertEqual(($0 as? LambdaError)?.errorType, "Runtime.InvalidConfiguration")
        }
        XCTAssertThrowsError(try HandlerRegistry.make(environment: apiEnvironment(["CATALOG_BUCKET": "b"]))) {
            XCTAssertEqual(($0 as? LambdaError)?.errorType, "Runtime.InvalidConfiguration")
        }
        let made = try HandlerRegistry.make(environment: apiEnvironment(base.merging(["CATALOG_BUCKET": "b", "REQUIRED_SCOPE": "read:images"]) { $1 }))
        let api = try XCTUnwrap(made as? APIHandler)
        XCTAssertEqual(api.api.requiredScope, "read:images")
        XCTAssertTrue(api.api.store is S3ObjectStore)
        XCTAssertEqual((api.api.store as? S3ObjectStore)?.forbiddenIsMissing, true, "its role lists nothing: a missing key is a 403")
        XCTAssertEqual(api.api.catalogKey, "images.json")
        XCTAssertEqual(api.api.bucket, "b")
        XCTAssertTrue(HandlerRegistry.knownNames.contains("api"))
        XCTAssertNil(api.api.profiles, "no issuer and no claim namespace: records get sub and times only")
    }

    func testSignInConfiguration() throws {
        let full = try XCTUnwrap(make(["OIDC_ISSUER": "https://example.eu.auth0.com/", "USER_CLAIMS_NAMESPACE": "https://imagecat.example.com/"]).profiles)
        XCTAssertEqual(full.issuer, "https://example.eu.auth0.com/")
        XCTAssertEqual(full.claimNamespace, "https://imagecat.example.com/")
        XCTAssertNil(full.userinfoURL)
        let local = try make(["OIDC_ISSUER": "http://127.0.0.1:5000/api/oidc", "OIDC_USERINFO_URL": "http://127.0.0.1:5000/api/oidc/userinfo"])
        XCTAssertEqual(local.profiles?.userinfoURL, "http://127.0.0.1:5000/api/oidc/userinfo")
        for loopback in ["http://localhost:5000/", "http://[::1]:5000/oidc"] {
            XCTAssertEqual(try make(["OIDC_ISSUER": loopback]).profiles?.issuer, loopback)
        }
        for (bad, variable) in [(["OIDC_USERINFO_URL": "https://example.eu.auth0.com/userinfo"], "OIDC_ISSUER is not set"),
                                (["OIDC_ISSUER": "example.eu.auth0.com"], "OIDC_ISSUER=example.eu.auth0.com must be"),
                                (["OIDC_ISSUER": "https://a/", "OIDC_USERINFO_URL": "ftp://a/userinfo"], "OIDC_USERINFO_URL="),
                                // Callers' tokens go there: plain HTTP only to this machine.
                                (["OIDC_ISSUER": "https://a.example/", "OIDC_USERINFO_URL": "http://a.example/userinfo"], "OIDC_USERINFO_URL="),
                                (["OIDC_ISSUER": "http://idp.example.com/"], "OIDC_ISSUER="),
                                (["OIDC_ISSUER": "http://127.0.0.1.example.com/"], "OIDC_ISSUER="),
                                (["OIDC_ISSUER": "http://localhost@idp.example.com/"], "OIDC_ISSUER="),
                                (["USER_CLAIMS_NAMESPACE": "https://a/ b"], "USER_CLAIMS_NAMESPACE=")] {
            XCTAssertThrowsError(try make(bad)) {
                XCTAssertEqual(($0 as? LambdaError)?.errorType, "Runtime.InvalidConfiguration")
                XCTAssertTrue("\($0)".contains(variable), "\($0)")
            }
        }
    }
}

/// The `api` handler's environment: `_HANDLER=api` plus `values`.
func apiEnvironment(_ values: [String: String]) -> Environment {
    Environment(values.merging(["_HANDLER": "api"]) { $1 })
}
