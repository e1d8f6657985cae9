import Storage
import XCTest

final class ObjectVersionTests: XCTestCase {
    func testAListingsTimeIsCutToTheSecond() {
        XCTAssertEqual(ObjectVersion.seconds("2026-11-25T16:00:09.000Z"), "2026-11-25T16:00:09Z")
        XCTAssertEqual(ObjectVersion.seconds("2026-11-25T16:00:09Z"), "2026-11-25T16:00:09Z")
    }

    func testSameVersionNeedsTheETagAndAKnownTimeToAgree() {
        let seen = ObjectVersion(etag: "e", lastModified: "2026-11-25T16:00:09Z")
        XCTAssertTrue(seen.isSame(as: ObjectVersion(etag: "e", lastModified: "2026-11-25T16:00:09Z")))
        XCTAssertFalse(seen.isSame(as: ObjectVersion(etag: "e", lastModified: "2026-11-25T16:00:10Z")), "the same bytes uploaded again")
        XCTAssertFalse(seen.isSame(as: ObjectVersion(etag: "f", lastModified: "2026-11-25T16:00:09Z")))
        XCTAssertTrue(seen.isSame(as: ObjectVersion(etag: "e", lastModified: nil)), "an unknown time leaves the ETag to decide")
    }
}
