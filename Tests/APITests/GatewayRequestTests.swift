import Basics
import JSON
import XCTest
@testable import API

/// `GatewayRequest`: reading a payload 2.0 event, and decoding its body only when asked.
final class GatewayRequestTests: XCTestCase {
    func event(_ members: JSONObject) -> JSONValue {
        var root: JSONObject = ["version": .string("2.0"), "rawPath": .string("/images"),
                                "requestContext": .object(["http": .object(["method": .string("get")])])]
        for member in members.members { root[member.key] = member.value }
        return .object(root)
    }

    func testMethodPathHeadersAndRawQuery() throws {
        let request = try GatewayRequest(event: event(["headers": .object(["If-None-Match": .string("\"x\"")]),
                                                       "rawQueryString": .string("type=png&a=x+y&a=%2B")]))
        XCTAssertEqual(request.method, "GET")
        XCTAssertEqual(request.path, "/images")
        XCTAssertEqual(request.header("if-none-match"), "\"x\"")
        XCTAssertEqual(request.query, ["type": "png", "a": "x y,+"])
    }

    func testNotAnHTTPAPIEventIsAnEventError() {
        XCTAssertThrowsError(try GatewayRequest(event: .object(["version": .string("1.0")]))) {
            XCTAssertEqual(($0 as? EventError)?.path, "version")
        }
        XCTAssertThrowsError(try GatewayRequest(event: event(["body": .int(3)]))) {
            XCTAssertEqual(($0 as? EventError)?.path, "body")
        }
    }

    func testBodyIsDecodedOnDemand() throws {
        let plain = try GatewayRequest(event: event(["body": .string("{}")]))
        XCTAssertEqual(try plain.bodyBytes(), Array("{}".utf8))
        let encoded = try GatewayRequest(event: event(["body": .string("e30="), "isBase64Encoded": .bool(true)]))
        XCTAssertEqual(try encoded.bodyBytes(), Array("{}".utf8))
        let broken = try GatewayRequest(event: event(["body": .string("%%%"), "isBase64Encoded": .bool(true)]))
        XCTAssertThrowsError(try broken.bodyBytes()) {
            XCTAssertEqual(($0 as? APIError)?.response.statusCode, 400)
        }
        XCTAssertEqual(try GatewayRequest(event: event([:])).bodyBytes(), [])
    }
}
