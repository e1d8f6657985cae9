import JSON
import XCTest

/// Documents RFC 8259 accepts, and the values they must produce.
final class JSONParserAcceptTests: XCTestCase {
    func testAcceptsEveryKindOfValue() throws {
        let cases: [(String, JSONValue)] = [
            ("null", .null),
            ("true", .bool(true)),
            ("false", .bool(false)),
            ("0", .number("0")),
            ("-0", .number("-0")),
            ("1.50", .number("1.50")),
            ("-1.5e-3", .number("-1.5e-3")),
            ("1E+2", .number("1E+2")),
            ("12345678901234567890", .number("12345678901234567890")),
            (#""""#, .string("")),
            (#""a\"b\\c\/d\be\ff\ng\rh\ti""#, .string("a\"b\\c/d\u{8}e\u{C}f\ng\rh\ti")),
            (#""\u00e9\u0041\u0000""#, .string("\u{E9}A\u{0}")),
            (#""\uD83D\uDE00""#, .string("😀")),
            (#""\ud83d\ude00""#, .string("😀")),
            ("\"é😀\u{7F}\"", .string("é😀\u{7F}")),
            ("[]", .array([])),
            ("{}", .object(JSONObject())),
            (" \t\r\n[ 1 , \"x\" ] \n", .array([.number("1"), .string("x")])),
            (#"{"b":1,"a":[true,null],"b":2}"#,
             .object(JSONObject([("b", .number("1")), ("a", .array([.bool(true), .null])), ("b", .number("2"))]))),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(try JSONParser.parse(text), expected, text)
            XCTAssertNoThrow(try Array(text.utf8).withUnsafeBufferPointer { try JSONParser.validate($0) }, text)
        }
    }

    func testObjectKeepsMemberOrder() throws {
        let value = try JSONValue(parsing: #"{"z":1,"a":2,"m":3}"#)
        XCTAssertEqual(value.objectValue?.members.map(\.key), ["z", "a", "m"])
    }

    func testNumbersRoundTripLiterally() throws {
        let text = #"[12345678901234567890,1.50,-0,1E+2,0.000001e-7,{"size":18446744073709551616}]"#
        XCTAssertEqual(try JSONParser.parse(text).serialized(), Array(text.utf8))
    }

    func testNestingUpToTheLimitIsAccepted() throws {
        let text = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        XCTAssertNoThrow(try JSONParser.parse(text))
        XCTAssertNoThrow(try Array(text.utf8).withUnsafeBufferPointer { try JSONParser.validate($0) })
        let shallow = String(repeating: "[", count: 3) + String(repeating: "]", count: 3)
        XCTAssertNoThrow(try JSONParser.parse(shallow, maxDepth: 3))
    }

    func testInitParsingBytes() throws {
        XCTAssertEqual(try JSONValue(parsing: Array(#"{"a":"b"}"#.utf8))["a"], .string("b"))
    }

    func testLargeDocumentParses() throws {
        var text = "["
        for i in 0..<20_000 {
            if i > 0 { text += "," }
            text += #"{"name":"k\#(i)","type":"image/png","size":\#(i),"s":"caf\u00e9"}"#
        }
        text += "]"
        let items = try JSONParser.parse(text).arrayValue
        XCTAssertEqual(items?.count, 20_000)
        XCTAssertEqual(items?[19_999]["size"], .number("19999"))
        XCTAssertEqual(items?[5]["s"], .string("café"))
    }
}
