import XCTest
import Basics
@testable import API

/// The upload policy's rules (content types, what may be viewed, view windows), timestamps, upload
/// ids, and the body decoding `POST /uploads` relies on. Reading `UPLOAD_*`, `MAX_UPLOAD_BYTES` and
/// `VIEW_*` from the environment is tested with the configuration, in HandlersTests.
final class UploadPolicyTests: XCTestCase {
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

    /// Upload ids are unique even within a millisecond, and sort by time: newest last in name
    /// order, so `order=name-desc` under the upload prefix is newest first.
    func testUploadIDsAreUniqueAndTimeOrdered() {
        let ids = (0..<50).map { _ in ImageAPI.timeOrderedUploadID(nowMs: 1_800_000_000_000) }
        XCTAssertEqual(Set(ids).count, 50)
        XCTAssertTrue(ids.allSatisfy { $0.utf8.count == 22 && $0.allSatisfy { "0123456789abcdef".contains($0) } })
        let times: [Int64] = [0, 1, 999, 1_800_000_000_000, 1_800_000_000_001, 253_402_300_799_000]
        let ordered = times.map { ImageAPI.timeOrderedUploadID(nowMs: $0) }
        XCTAssertEqual(ordered, ordered.sorted())
        XCTAssertTrue(ImageAPI.timeOrderedUploadID(nowMs: 1_800_000_000_000).hasPrefix("01a3185c5000"))
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
