import JSON
import XCTest

final class JSONWriterTests: XCTestCase {
    private func written(_ s: String) -> String {
        var out: [UInt8] = []
        JSONValue.writeString(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func testStringEscapes() {
        XCTAssertEqual(written(#"a"b\c"#), #""a\"b\\c""#)
        XCTAssertEqual(written("l1\nl2\r\t"), #""l1\nl2\r\t""#)
        XCTAssertEqual(written("\u{0}\u{8}\u{C}\u{1F}"), #""\u0000\u0008\u000c\u001f""#)
        // Everything else is raw UTF-8: no needless escapes for "/", DEL or non-ASCII.
        XCTAssertEqual(written("a/b\u{7F} é 😀 +"), "\"a/b\u{7F} é 😀 +\"")
    }

    func testEveryControlCharacterRoundTrips() throws {
        let all = String(decoding: (0..<0x20).map { UInt8($0) } + Array("\"\\/".utf8), as: UTF8.self)
        let bytes = JSONValue.string(all).serialized()
        XCTAssertFalse(bytes.contains { $0 < 0x20 }, "a raw control character was written")
        XCTAssertEqual(try JSONParser.parse(bytes), .string(all))
    }

    func testCompactSerialization() {
        let value: JSONValue = .object([
            "a": .array([.null, .bool(true), .bool(false), .number("1.50"), .int(-3)]),
            "b": .object(JSONObject()),
            "c": .string("x"),
        ])
        XCTAssertEqual(String(decoding: value.serialized(), as: UTF8.self),
                       #"{"a":[null,true,false,1.50,-3],"b":{},"c":"x"}"#)
    }

    func testParseSerializeParseIsStable() throws {
        let text = #"{"k":"caf\u00e9 \ud83d\ude00 \/ \" \\ \n","n":[0,-0.0,1e-7,123456789012345678901234567890],"o":{"z":null,"a":false}}"#
        let value = try JSONParser.parse(text)
        let once = value.serialized()
        XCTAssertEqual(try JSONParser.parse(once), value)
        XCTAssertEqual(try JSONParser.parse(once).serialized(), once)
        XCTAssertEqual(String(decoding: once, as: UTF8.self),
                       #"{"k":"café 😀 / \" \\ \n","n":[0,-0.0,1e-7,123456789012345678901234567890],"o":{"z":null,"a":false}}"#)
    }
}
