import XCTest
import Basics
import LambdaRuntime

final class InvocationContextTests: XCTestCase {
    func testHandlersWorkToLambdasDeadlineLessTheReportMargin() {
        let context = InvocationContext(requestID: "r", deadline: Deadline(epochMilliseconds: 10_000), invokedFunctionARN: "a")
        XCTAssertEqual(context.workDeadline, Deadline(epochMilliseconds: 10_000 - InvocationContext.reportMarginMilliseconds))
        XCTAssertEqual(context.workDeadline?.remainingMilliseconds(now: 9_000), 500)
    }

    func testNoDeadlineHeaderMeansNoWorkDeadline() {
        let unknown = InvocationContext(requestID: "r", deadline: nil, invokedFunctionARN: "a")
        XCTAssertNil(unknown.workDeadline)
    }
}
