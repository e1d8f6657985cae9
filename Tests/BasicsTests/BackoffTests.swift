import XCTest
import Basics

final class BackoffTests: XCTestCase {
    func testCeilingsDoubleAndCapWithoutOverflow() {
        let backoff = Backoff(baseMs: 10, maxMs: 1_000)
        XCTAssertEqual((1...9).map(backoff.ceiling(afterAttempt:)), [10, 20, 40, 80, 160, 320, 640, 1000, 1000])
        XCTAssertEqual(backoff.ceiling(afterAttempt: 500), 1000)
        XCTAssertEqual(Backoff(baseMs: Int.max / 2, maxMs: 5).ceiling(afterAttempt: 3), 5)
    }
}
