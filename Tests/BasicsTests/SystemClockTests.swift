import Basics
import XCTest

#if canImport(Glibc)
import Glibc
#endif

final class SystemClockTests: XCTestCase {
    func testNowIsEpochMilliseconds() {
        let now = SystemClock.epochMilliseconds()
        let seconds = Int64(time(nil))
        XCTAssertLessThanOrEqual(abs(now / 1000 - seconds), 1)
    }
}
