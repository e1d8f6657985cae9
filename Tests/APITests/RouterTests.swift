import XCTest
@testable import API

/// `Router.resolve`: which route a method and path select, and the rejection when none does.
final class RouterTests: XCTestCase {
    func status(_ method: String, _ path: String) -> Int {
        do { _ = try Router.resolve(method: method, path: path); return 200 } catch { return error.response.statusCode }
    }

    func testKnownRoutes() throws {
        XCTAssertEqual(try Router.resolve(method: "GET", path: "/images"), .listImages)
        XCTAssertEqual(try Router.resolve(method: "GET", path: "/images/cats/tabby one.png"), .image(name: "cats/tabby one.png"))
        XCTAssertEqual(try Router.resolve(method: "GET", path: "/me"), .me)
        XCTAssertEqual(try Router.resolve(method: "PUT", path: "/me"), .signIn)
        XCTAssertEqual(try Router.resolve(method: "POST", path: "/uploads"), .uploads)
    }

    func testUnknownPathIs404AndWrongMethodIs405WithAllow() {
        XCTAssertEqual(status("GET", "/nope"), 404)
        XCTAssertEqual(status("GET", "/images/"), 404, "an empty name is no image")
        do { _ = try Router.resolve(method: "DELETE", path: "/me"); XCTFail("accepted") } catch {
            XCTAssertEqual(error.response.statusCode, 405)
            XCTAssertEqual(error.response.headers["allow"], "GET, PUT")
        }
        XCTAssertEqual(status("POST", "/me"), 405)
        XCTAssertEqual(status("PUT", "/images"), 405)
    }

    func testUnsafePathsAre400BeforeAnyMatch() {
        for path in ["images", "/images/../me", "/images/./a.png", "/images/%2e%2E/x", "/images/a\u{0}b",
                     "/" + String(repeating: "a", count: Router.maxPathBytes)] {
            XCTAssertEqual(status("GET", path), 400, path)
        }
        XCTAssertEqual(status("GET", "/images/a..b.png"), 200, "dots inside a name are not a dot segment")
        XCTAssertEqual(status("GET", "/images/..."), 200, "three dots are a name")
    }
}
