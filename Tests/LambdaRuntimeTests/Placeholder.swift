import XCTest
final class LambdaRuntimeTestsPlaceholder: XCTestCase { func testBuilds() {} }
