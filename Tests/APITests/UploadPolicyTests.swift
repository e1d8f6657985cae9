import LambdaRuntime
import XCTest
import Basics
@testable import API
@testable import Handlers

/// The upload configuration (`UPLOAD_*`, `MAX_UPLOAD_BYTES`, `VIEW_*`), timestamps, and the body
/// decoding `POST /uploads` relies on.
final class UploadPolicyTests: XCTestCase {
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
            ("UPLOAD_PREFIX", "./"), ("UPLOAD_PREFIX", "a\nb/"), ("UPLOAD_PREFIX", "a\\b/"),
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

    func testContentTypesAreTheCatalogsFormats() {
        XCTAssertEqual(UploadPolicy.normalizedContentType("Image/PNG"), "image/png")
        XCTAssertEqual(UploadPolicy.normalizedContentType("image/vnd.microsoft.icon"), "image/vnd.microsoft.icon")
        for refused in ["image/png;", "image/jpg", "image/pjpeg", "image/svg", "video/mp4", "text/html", "image/*", ""] {
            XCTAssertNil(UploadPolicy.normalizedContentType(refused), refused)
        }
    }

    func testWhatMayBeViewed() {
        let policy = UploadPolicy(viewPrefix: "images/", catalogKey: "images/images.json")
        XCTAssertTrue(policy.mayView("images/cats/tabby.png"))
        XCTAssertTrue(policy.mayView("images/uploads/0123/ünï code.png"))
        XCTAssertFalse(policy.mayView("images/images.json"), "never the catalog")
        XCTAssertFalse(policy.mayView("other/a.png"))
        XCTAssertFalse(policy.mayView("images"))
        let everything = UploadPolicy(viewPrefix: "", catalogKey: "images.json")
        XCTAssertTrue(everything.mayView("a.png"))
        XCTAssertFalse(everything.mayView("images.json"))
        XCTAssertFalse(everything.mayView("users/auth0|victim.json"), "never a user's record")
        XCTAssertFalse(everything.mayView(""))
        XCTAssertFalse(everything.mayView("a\u{0}.png"))
    }

    func testTimestamps() {
        let cases: [(Int64, String)] = [
            (0, "1970-01-01T00:00:00Z"), (-1, "1969-12-31T23:59:59Z"), (951_782_400, "2000-02-29T00:00:00Z"),
            (1_800_000_000, "2027-01-15T08:00:00Z"), (4_107_542_400, "2100-03-01T00:00:00Z"),
            (253_402_300_799, "9999-12-31T23:59:59Z"),
        ]
        for (seconds, text) in cases { XCTAssertEqual(UTCTime.iso8601(epochSeconds: seconds), text, "\(seconds)") }
    }

    func testViewWindows() {
        let window = ViewWindow(now: 1000, expiresInSeconds: 600)
        XCTAssertEqual(window, ViewWindow(now: 900, expiresInSeconds: 600))
        XCTAssertEqual(window.index, 3)
        XCTAssertEqual(window.signedAt, 900)
        XCTAssertNotEqual(window.index, ViewWindow(now: 1200, expiresInSeconds: 600).index)
        // A URL served at any moment of the window is valid for at least half its lifetime.
        for now in Int64(900)..<1200 {
            let w = ViewWindow(now: now, expiresInSeconds: 600)
            XCTAssertGreaterThanOrEqual(w.signedAt + Int64(w.expiresInSeconds) - now, 300)
        }
        XCTAssertEqual(ViewWindow(now: 7, expiresInSeconds: 2).signedAt, 7)
    }

    func testUploadsNeedTheReadScopeUnlessTheirOwnIsSet() throws {
        XCTAssertEqual(try make(["REQUIRED_SCOPE": "read:images"]).uploads.scope, "read:images",
                       "a token that may not read the catalog must not mint upload URLs")
        XCTAssertEqual(try make(["REQUIRED_SCOPE": "read:images", "UPLOAD_SCOPE": "upload:images"]).uploads.scope, "upload:images")
        XCTAssertEqual(try make(["UPLOAD_SCOPE": "upload:images"]).uploads.scope, "upload:images")
        XCTAssertNil(try make([:]).uploads.scope)
    }

    func testRandomUploadIDs() {
        let ids = (0..<50).map { _ in ImageAPI.randomUploadID() }
        XCTAssertEqual(Set(ids).count, 50)
        XCTAssertTrue(ids.allSatisfy { $0.utf8.count == 16 && $0.allSatisfy { "0123456789abcdef".contains($0) } })
    }

    func testBase64Bodies() {
        XCTAssertEqual(Base64.decode("eyJhIjoxfQ=="), Array(#"{"a":1}"#.utf8))
        XCTAssertEqual(Base64.decode("eyJhIjoxfQ"), Array(#"{"a":1}"#.utf8))
        XCTAssertEqual(Base64.decode("+/8="), [0xFB, 0xFF])
        XCTAssertEqual(Base64.decode(""), [])
        for bad in ["a", "ab=c", "ab===", "a-b_", "abc=d", "ab c"] {
            XCTAssertNil(Base64.decode(bad), bad)
        }
    }
}
