import XCTest
final class CatalogTestsPlaceholder: XCTestCase { func testBuilds() {} }
