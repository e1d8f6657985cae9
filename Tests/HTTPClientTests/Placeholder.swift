import XCTest
final class HTTPClientTestsPlaceholder: XCTestCase { func testBuilds() {} }
