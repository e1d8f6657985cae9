import XCTest
import LambdaRuntime
import TestSupport

final class RuntimeLogTests: XCTestCase {
    func testLogWritesOneLinePerMessage() {
        let lines = LogLines()
        lines.log("first\nsecond\r\nthird")
        lines.log("plain")
        XCTAssertEqual(lines.lines, ["first second  third", "plain"])
    }
}
