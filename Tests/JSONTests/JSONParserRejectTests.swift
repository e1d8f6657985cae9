import JSON
import XCTest

/// Documents that must be refused, with the exact message and position.
final class JSONParserRejectTests: XCTestCase {
    /// (input, message, offset)
    private let cases: [(String, String, Int)] = [
        ("", "expected a JSON value, found end of input", 0),
        ("   ", "expected a JSON value, found end of input", 3),
        ("[1,]", "trailing comma before ']'", 2),
        (#"{"a":1,}"#, "trailing comma before '}'", 6),
        ("[1 2]", "expected ',' or ']' after array element, found '2'", 3),
        (#"{"a":1 "b":2}"#, "expected ',' or '}' after object member, found '\"'", 7),
        (#"{"a" 1}"#, "expected ':' after object key, found '1'", 5),
        ("{a:1}", "expected a string key, found 'a'", 1),
        ("{1:1}", "expected a string key, found '1'", 1),
        ("[", "unterminated array: expected a value or ']', found end of input", 1),
        ("[1", "unterminated array: expected ',' or ']' after array element, found end of input", 2),
        (#"{"a":1"#, "unterminated object: expected ',' or '}' after object member, found end of input", 6),
        (#"{"a":"#, "expected a JSON value, found end of input", 5),
        ("[,1]", "expected a JSON value, found ','", 1),
        (#""abc"#, "unterminated string", 0),
        (#"["abc\"]"#, "unterminated string", 1),
        ("01", "leading zeros are not allowed in numbers", 0),
        ("-01", "leading zeros are not allowed in numbers", 1),
        ("[00]", "leading zeros are not allowed in numbers", 1),
        ("1.", "expected a digit after '.', found end of input", 2),
        ("1.e3", "expected a digit after '.', found 'e'", 2),
        (".5", "expected a JSON value, found '.'", 0),
        ("+1", "expected a JSON value, found '+'", 0),
        ("-", "expected a digit after '-', found end of input", 1),
        ("-a", "expected a digit after '-', found 'a'", 1),
        ("1e", "expected a digit in the exponent, found end of input", 2),
        ("1e+", "expected a digit in the exponent, found end of input", 3),
        ("NaN", "expected a JSON value, found 'N'", 0),
        ("Infinity", "expected a JSON value, found 'I'", 0),
        ("tru", "invalid literal: expected 'true'", 0),
        ("nul", "invalid literal: expected 'null'", 0),
        ("True", "expected a JSON value, found 'T'", 0),
        ("[fals]", "invalid literal: expected 'false'", 1),
        ("1 2", "unexpected '2' after the JSON value", 2),
        ("{} x", "unexpected 'x' after the JSON value", 3),
        ("[]]", "unexpected ']' after the JSON value", 2),
        ("truex", "unexpected 'x' after the JSON value", 4),
        ("0x10", "unexpected 'x' after the JSON value", 1),
        ("// c\n1", "expected a JSON value, found '/'", 0),
        ("\u{FEFF}[]", "byte order mark (U+FEFF) is not allowed at the start of JSON text", 0),
        ("\u{A0}1", "expected a JSON value, found byte 0xC2", 0),
        ("\"a\nb\"", "control character U+000A must be escaped in a string", 2),
        ("\"a\tb\"", "control character U+0009 must be escaped in a string", 2),
        ("\"\u{1F}\"", "control character U+001F must be escaped in a string", 1),
        (#""\x""#, #"invalid escape '\x' in string"#, 1),
        (#""\'""#, #"invalid escape '\'' in string"#, 1),
        (#""\u12""#, #"invalid \u escape: expected 4 hex digits, found '"'"#, 5),
        (#""\u12G4""#, #"invalid \u escape: expected 4 hex digits, found 'G'"#, 5),
        (#""\uD800""#, #"lone high surrogate \uD800 (must be followed by a \u low surrogate)"#, 1),
        (#""\uD800x""#, #"lone high surrogate \uD800 (must be followed by a \u low surrogate)"#, 1),
        (#""\uDBFF\u0041""#, #"lone high surrogate \uDBFF (followed by \u0041, not a low surrogate)"#, 1),
        (#""\uD800\uD800""#, #"lone high surrogate \uD800 (followed by \uD800, not a low surrogate)"#, 1),
        (#""ab\uDC00""#, #"lone low surrogate \uDC00"#, 3),
        (#""\uDFFF\uD800""#, #"lone low surrogate \uDFFF"#, 1),
    ]

    func testRejectTable() {
        for (text, message, offset) in cases {
            assertRejects(Array(text.utf8), message, offset: offset)
        }
    }

    func testInvalidUTF8IsRejected() {
        let cases: [([UInt8], String, Int)] = [
            ([0x22, 0xFF, 0x22], "invalid UTF-8: unexpected byte 0xFF", 1),
            ([0x22, 0x80, 0x22], "invalid UTF-8: unexpected byte 0x80", 1),
            ([0x22, 0xC0, 0x80, 0x22], "invalid UTF-8: unexpected byte 0xC0", 1),  // overlong NUL
            ([0x22, 0xC1, 0xBF, 0x22], "invalid UTF-8: unexpected byte 0xC1", 1),  // overlong
            ([0x22, 0xE0, 0x80, 0x80, 0x22], "invalid UTF-8: byte 0x80 cannot follow 0xE0", 2),  // overlong
            ([0x22, 0xED, 0xA0, 0x80, 0x22], "invalid UTF-8: byte 0xA0 cannot follow 0xED", 2),  // surrogate
            ([0x22, 0xF0, 0x80, 0x80, 0x80, 0x22], "invalid UTF-8: byte 0x80 cannot follow 0xF0", 2),
            ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], "invalid UTF-8: byte 0x90 cannot follow 0xF4", 2),  // > U+10FFFF
            ([0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], "invalid UTF-8: unexpected byte 0xF5", 1),
            ([0x22, 0xE2, 0x82, 0x41, 0x22], "invalid UTF-8: byte 0x41 is not a continuation byte", 3),
            ([0x22, 0xC3, 0x22], "invalid UTF-8: byte 0x22 cannot follow 0xC3", 2),
            ([0x22, 0xE2, 0x82], "invalid UTF-8: truncated sequence starting with byte 0xE2", 1),
            // Escaped strings take another path: check it validates too.
            ([0x22, 0x5C, 0x6E, 0xFF, 0x22], "invalid UTF-8: unexpected byte 0xFF", 3),
            // Object keys too.
            ([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D], "invalid UTF-8: unexpected byte 0xFF", 2),
        ]
        for (bytes, message, offset) in cases {
            assertRejects(bytes, message, offset: offset)
        }
        // Valid edges: U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF, U+10000, U+10FFFF.
        for scalar in [0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF] {
            let text = "\"" + String(Character(Unicode.Scalar(UInt32(scalar))!)) + "\""
            XCTAssertEqual(try JSONParser.parse(text), .string(String(Character(Unicode.Scalar(UInt32(scalar))!))))
        }
    }

    func testErrorPositionHasLineAndColumn() {
        let text = "[\n  {\"a\": 1},\n  {\"é\": 2,}\n]"
        XCTAssertThrowsError(try JSONParser.parse(text)) { error in
            let e = error as? JSONError
            XCTAssertEqual(e?.message, "trailing comma before '}'")
            XCTAssertEqual(e?.line, 3)
            XCTAssertEqual(e?.column, 10)  // counted in characters: "é" is one column
            XCTAssertEqual(e?.offset, 24)
            XCTAssertEqual(e?.description, "line 3, column 10 (offset 24): trailing comma before '}'")
        }
    }

    func testNestingBeyondTheLimitIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        assertRejects(Array(deep.utf8), "nesting deeper than 512 levels", offset: 512)
        let hostile = String(repeating: "[{\"a\":", count: 200_000)
        assertRejects(Array(hostile.utf8), "nesting deeper than 512 levels", offset: 6 * 256)
        assertRejects(Array("[[[1]]]".utf8), "nesting deeper than 2 levels", offset: 2, maxDepth: 2)
    }

    private func assertRejects(
        _ bytes: [UInt8], _ message: String, offset: Int, maxDepth: Int = JSONParser.defaultMaxDepth,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let label = String(decoding: bytes, as: UTF8.self)
        do {
            let value = try JSONParser.parse(bytes, maxDepth: maxDepth)
            XCTFail("accepted \(label) as \(value)", file: file, line: line)
        } catch {
            XCTAssertEqual(error.message, message, label, file: file, line: line)
            XCTAssertEqual(error.offset, offset, label, file: file, line: line)
        }
        // The validating path (no values built) must agree.
        do throws(JSONError) {
            try bytes.withUnsafeBufferPointer { (buffer) throws(JSONError) in
                try JSONParser.validate(buffer, maxDepth: maxDepth)
            }
            XCTFail("validate accepted \(label)", file: file, line: line)
        } catch {
            XCTAssertEqual(error.message, message, "validate: " + label, file: file, line: line)
            XCTAssertEqual(error.offset, offset, "validate: " + label, file: file, line: line)
        }
    }
}
