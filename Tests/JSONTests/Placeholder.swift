import XCTest
final class JSONTestsPlaceholder: XCTestCase { func testBuilds() {} }
