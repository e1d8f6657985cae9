import Catalog
import JSON
import XCTest

/// A catalog that is not an array of valid entries must be refused with a message that says
/// what and where; never repaired.
final class CatalogErrorTests: XCTestCase {
    private let good = #"{"name":"a.png","type":"png","size":1}"#

    func testSyntaxErrorsCarryLineAndColumn() {
        XCTAssertEqual(catalogError("")?.description,
                       "catalog is not valid JSON: line 1, column 1 (offset 0): expected a JSON value, found end of input")
        XCTAssertEqual(catalogError("[\n" + good + ",\n]")?.description,
                       "catalog is not valid JSON: line 2, column 39 (offset 40): trailing comma before ']'")
        XCTAssertEqual(catalogError("[\n" + good + "\n" + good + "]")?.description,
                       "catalog is not valid JSON: line 3, column 1 (offset 41): expected ',' or ']' after array element, found '{'")
        XCTAssertEqual(catalogError("[" + good)?.description,
                       "catalog is not valid JSON: line 1, column 40 (offset 39): unterminated array: expected ',' or ']' after array element, found end of input")
        XCTAssertEqual(catalogError("[" + good + "] x")?.description,
                       "catalog is not valid JSON: line 1, column 42 (offset 41): unexpected 'x' after the JSON value")
        // Bad JSON inside an entry is a syntax error, not an entry error.
        if case .syntax(let error)? = catalogError(#"[{"name":"a","type":"t","size":01}]"#) {
            XCTAssertEqual(error.message, "leading zeros are not allowed in numbers")
            XCTAssertEqual(error.offset, 31)
        } else {
            XCTFail("expected a syntax error")
        }
    }

    func testNotAnArray() {
        XCTAssertEqual(catalogError(#"{"name":"a.png","type":"png","size":1}"#), .notAnArray(found: "an object"))
        XCTAssertEqual(catalogError(#"{"name":"a.png","type":"png","size":1}"#)?.description,
                       "catalog is not an array (found an object)")
        XCTAssertEqual(catalogError("null"), .notAnArray(found: "null"))
        XCTAssertEqual(catalogError(#""[]""#), .notAnArray(found: "a string"))
        // A broken document is reported as broken, not as "not an array".
        if case .syntax? = catalogError(#"{"a":1,}"#) {} else { XCTFail("expected a syntax error") }
    }

    func testInvalidEntries() {
        let cases: [(String, String)] = [
            (#"{"type":"png","size":1}"#, #"missing "name""#),
            (#"{"name":"b.png","size":1}"#, #"missing "type""#),
            (#"{"name":"b.png","type":"png"}"#, #"missing "size""#),
            (#"{"name":"b.png","type":"png","size":"1"}"#, #""size" must be a non-negative integer, found a string"#),
            (#"{"name":"b.png","type":"png","size":-1}"#, #""size" must be a non-negative integer, found -1"#),
            (#"{"name":"b.png","type":"png","size":-0}"#, #""size" must be a non-negative integer, found -0"#),
            (#"{"name":"b.png","type":"png","size":1.0}"#, #""size" must be a non-negative integer, found 1.0"#),
            (#"{"name":"b.png","type":"png","size":1e3}"#, #""size" must be a non-negative integer, found 1e3"#),
            (#"{"name":"b.png","type":"png","size":null}"#, #""size" must be a non-negative integer, found null"#),
            (#"{"name":"b.png","type":"png","size":9223372036854775808}"#, #""size" is too large: 9223372036854775808"#),
            (#"{"name":1,"type":"png","size":1}"#, #""name" must be a string, found a number"#),
            (#"{"name":"","type":"png","size":1}"#, #""name" must not be empty"#),
            (#"{"name":"b.png","type":["png"],"size":1}"#, #""type" must be a string, found an array"#),
            (#"{"name":"b.png","name":"c.png","type":"png","size":1}"#, #"duplicate "name" member"#),
            (#"{"name":"b.png","type":"png","type":"png","size":1}"#, #"duplicate "type" member"#),
            (#"{"name":"b.png","type":"png","size":1,"size":1}"#, #"duplicate "size" member"#),
            (#""b.png""#, "expected an object, found a string"),
            ("[]", "expected an object, found an array"),
            ("7", "expected an object, found a number"),
        ]
        for (bad, problem) in cases {
            // Entry 2 starts on line 3 at offset 2 + 38 + 2 = 42.
            let file = "[\n" + good + ",\n" + bad + "\n]\n"
            XCTAssertEqual(catalogError(file), .invalidEntry(index: 2, offset: 42, line: 3, column: 1, problem: problem), bad)
        }
        XCTAssertEqual(catalogError("[\n" + good + ",\n" + #"  {"type":"png","size":1}"# + "]")?.description,
                       #"entry 2 (line 3, column 3, offset 44): missing "name""#)
        // The largest size that fits is fine.
        XCTAssertNoThrow(try Catalog(parsing: bytes(#"[{"name":"b","type":"","size":9223372036854775807}]"#)))
    }

    func testEntryNumbersCountEveryEntry() {
        var lines: [String] = []
        for i in 1...16 { lines.append(#"{"name":"k\#(i)","type":"png","size":\#(i)}"#) }
        lines.append(#"{"name":"k17","type":"png"}"#)
        let file = catalogFile(lines)
        let offset = file.utf8.count - 3 - lines[16].utf8.count
        XCTAssertEqual(catalogError(file)?.description, #"entry 17 (line 18, column 1, offset \#(offset)): missing "size""#)
    }
}
