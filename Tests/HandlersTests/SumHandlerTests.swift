import Storage
import Basics
import LambdaRuntime
import XCTest
@testable import Handlers

final class SumHandlerTests: XCTestCase {
    let context = InvocationContext(requestID: "r", deadline: nil, invokedFunctionARN: "arn")

    func sum(_ event: String) throws -> String {
        String(decoding: try SumHandler().handle(Array(event.utf8), context: context), as: UTF8.self)
    }

    func testTheLabsEvent() throws {
        XCTAssertEqual(try sum(#"{"key1":1,"key2":2}"#), #"{"statusCode":200,"body":3}"#)
        XCTAssertEqual(try sum(#"{"key2":-5,"key1":1.5,"other":"ignored"}"#), #"{"statusCode":200,"body":-3.5}"#)
        XCTAssertEqual(try sum(#"{"key1":9223372036854775807,"key2":1}"#), #"{"statusCode":200,"body":9.223372036854776e+18}"#)
    }

    func testEachMistakeIsNamed() {
        for (event, message) in [
            (#"{"key1":1}"#, #"sum needs "key1" and "key2": "key2" is missing"#),
            (#"{"key1":"1","key2":2}"#, #"sum needs a number in "key1", found a string"#),
            (#"[1,2]"#, "sum needs an object with \"key1\" and \"key2\", found an array"),
        ] {
            XCTAssertThrowsError(try sum(event), event) { error in
                XCTAssertEqual((error as? LambdaError)?.errorType, "Function.InvalidEvent")
                XCTAssertEqual((error as? LambdaError)?.errorMessage, message)
            }
        }
        XCTAssertThrowsError(try sum("{")) {
            XCTAssertTrue(($0 as? LambdaError)?.errorMessage.hasPrefix("event is not JSON: ") == true, "\($0)")
        }
    }
}
