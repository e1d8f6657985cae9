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

    /// The instant comes from a header: no value may trap the process (Swift stops on overflow,
    /// release builds too). Results hold at Int64's bounds.
    func testArithmeticHoldsAtTheBounds() {
        let past = Deadline(epochMilliseconds: .min).earlier(byMilliseconds: 500)
        XCTAssertEqual(past, Deadline(epochMilliseconds: .min))
        XCTAssertEqual(past.remainingMilliseconds(now: 1_700_000_000_000), .min)
        XCTAssertFalse(past.allows(waitMilliseconds: 0, now: 1_700_000_000_000))
        let far = Deadline(epochMilliseconds: .max)
        XCTAssertEqual(far.remainingMilliseconds(now: -5), .max)
        XCTAssertFalse(far.allows(waitMilliseconds: .max, thenWorkMilliseconds: .max, now: .max))
        XCTAssertTrue(far.allows(waitMilliseconds: 1, now: 0))
        XCTAssertEqual(Deadline.after(milliseconds: .max, now: 10), far)
        XCTAssertEqual(Deadline(epochMilliseconds: .max).earlier(byMilliseconds: .min), far)
    }
}
