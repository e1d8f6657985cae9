import XCTest
final class ImageSnifferTestsPlaceholder: XCTestCase { func testBuilds() {} }
