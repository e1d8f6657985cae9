import Basics
import XCTest

#if canImport(Glibc)
import Glibc
#endif

final class EnvironmentTests: XCTestCase {
    func testCurrentReadsEnviron() {
        setenv("IMAGECAT_TEST_VARIABLE", "a=b c", 1)
        defer { unsetenv("IMAGECAT_TEST_VARIABLE") }
        let environment = Environment.current()
        XCTAssertEqual(environment["IMAGECAT_TEST_VARIABLE"], "a=b c")
        XCTAssertEqual(environment["PATH"], getenv("PATH").map { String(cString: $0) })
    }

    func testEmptyCountsAsUnset() {
        let env: Environment = ["A": "", "B": "x"]
        XCTAssertNil(env.get("A"))
        XCTAssertEqual(env.get("B"), "x")
        XCTAssertEqual(env["A"], "")
        XCTAssertThrowsError(try env.require("A", "it names the bucket")) { error in
            XCTAssertEqual("\(error)", "A is not set: it names the bucket")
        }
    }

    func testNumbersAreCheckedAndNamed() throws {
        let env: Environment = ["N": "12", "BAD": "-1", "BIG": "99999999999999999999"]
        XCTAssertEqual(try env.number("N", default: 5, in: 1...100), 12)
        XCTAssertEqual(try env.number("UNSET", default: 5, in: 1...100), 5)
        XCTAssertThrowsError(try env.number("BAD", default: 5, in: 1...100)) { error in
            XCTAssertEqual("\(error)", "BAD=-1 must be a whole number from 1 to 100")
        }
        XCTAssertThrowsError(try env.number("BIG", default: 5, in: 1...100))
    }

    func testScopeIsOneToken() throws {
        let env: Environment = ["S": "read:images", "T": "a b", "Q": "a\"b"]
        XCTAssertEqual(try env.scope("S"), "read:images")
        XCTAssertNil(try env.scope("UNSET"))
        XCTAssertThrowsError(try env.scope("T")) { error in
            XCTAssertEqual("\(error)", "T must be one scope (no spaces, quotes or control characters)")
        }
        XCTAssertThrowsError(try env.scope("Q"))
    }
}
