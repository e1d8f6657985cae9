import XCTest
import Basics

final class DeadlineTests: XCTestCase {
    func testAMarginIsKeptBackByMovingTheDeadline() {
        let deadline = Deadline(epochMilliseconds: 10_000).earlier(byMilliseconds: 500)
        XCTAssertEqual(deadline.remainingMilliseconds(now: 9_000), 500)
        XCTAssertTrue(deadline.allows(waitMilliseconds: 100, thenWorkMilliseconds: 399, now: 9_000))
        XCTAssertFalse(deadline.allows(waitMilliseconds: 100, thenWorkMilliseconds: 400, now: 9_000),
                       "ending exactly at the deadline is too late")
        XCTAssertFalse(deadline.allows(waitMilliseconds: 0, now: 9_600))
        XCTAssertEqual(deadline.remainingMilliseconds(now: 9_600), -100)
    }

    func testAfterCountsFromNow() {
        XCTAssertEqual(Deadline.after(milliseconds: 250, now: 1_000), Deadline(epochMilliseconds: 1_250))
        XCTAssertLessThan(Deadline(epochMilliseconds: 1), Deadline(epochMilliseconds: 2))
    }
}
