import XCTest
final class HandlersTestsPlaceholder: XCTestCase { func testBuilds() {} }
