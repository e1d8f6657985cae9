import XCTest
final class S3TestsPlaceholder: XCTestCase { func testBuilds() {} }
