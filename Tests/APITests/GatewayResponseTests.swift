import JSON
import XCTest
@testable import API

/// `GatewayResponse`: the payload API Gateway expects, byte-stable, with fixed client-facing errors.
final class GatewayResponseTests: XCTestCase {
    func testSerializedInHeaderOrder() throws {
        let response = GatewayResponse(statusCode: 200, headers: ["b": "2", "a": "1"], body: Array("é\"".utf8))
        XCTAssertEqual(String(decoding: response.serialized(), as: UTF8.self),
                       #"{"statusCode":200,"headers":{"a":"1","b":"2"},"body":"é\"","isBase64Encoded":false}"#)
    }

    func testErrorsAreNoStoreJSON() throws {
        let response = GatewayResponse.error(404, "not_found", "no such thing", headers: ["x": "y"])
        XCTAssertEqual(response.headers["cache-control"], "no-store")
        XCTAssertEqual(response.headers["x"], "y")
        XCTAssertEqual(try JSONValue(parsing: response.body), .object(["error": .string("not_found"), "message": .string("no such thing")]))
        XCTAssertEqual(GatewayResponse.notModified(etag: "\"e\"").body, [])
    }
}
