import XCTest
import Basics

final class DeadlineTests: XCTestCase {
    func testTheMarginIsKeptBack() {
        let deadline = Deadline(epochMs: 10_000, marginMs: 500)
        XCTAssertEqual(deadline.remainingMs(now: 9_000), 500)
        XCTAssertTrue(deadline.allows(waitMs: 100, thenWorkMs: 399, now: 9_000))
        XCTAssertFalse(deadline.allows(waitMs: 100, thenWorkMs: 400, now: 9_000), "ending exactly at the margin is too late")
        XCTAssertFalse(deadline.allows(waitMs: 0, now: 9_600))
    }
}
