import JSON
import XCTest

/// The pull API the catalog uses to walk large documents without building them.
final class JSONReaderTests: XCTestCase {
    private func withReader<R>(_ text: String, _ body: (inout JSONReader) throws -> R) rethrows -> R {
        try Array(text.utf8).withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer)
            return try body(&reader)
        }
    }

    func testWalksArrayOfObjects() throws {
        let text = #"[ {"a": 1, "b": "x"}, {"a": 2} ]"#
        let seen: [String] = try withReader(text) { reader in
            var seen: [String] = []
            try reader.beginArray()
            while try reader.nextArrayElement() {
                try reader.beginObject()
                while let key = try reader.nextObjectKey() {
                    if key == "a" { seen.append("a=\(try reader.readValue().int64Value ?? -1)") } else {
                        try reader.skipValue()
                        seen.append("skipped \(key)")
                    }
                }
            }
            try reader.finish()
            XCTAssertEqual(reader.depth, 0)
            return seen
        }
        XCTAssertEqual(seen, ["a=1", "skipped b", "a=2"])
    }

    func testBytesAPIsDecodeEscapes() throws {
        try withReader(#"{"n\u0061me": "caf\u00e9+ 1"}"#) { reader in
            var key: [UInt8] = [9, 9]
            try reader.beginObject()
            XCTAssertTrue(try reader.nextObjectKey(into: &key))
            XCTAssertEqual(key, Array("name".utf8))  // replaced, not appended
            var value: [UInt8] = [0x3E]
            try reader.readString(appendingTo: &value)
            XCTAssertEqual(value, Array(">café+ 1".utf8))  // appended
            XCTAssertFalse(try reader.nextObjectKey(into: &key))
        }
    }

    func testReadStringRefusesOtherKinds() throws {
        try withReader("[1]") { reader in
            XCTAssertThrowsError(try reader.readString()) { error in
                XCTAssertEqual((error as? JSONError)?.message, "expected a string, found an array")
            }
        }
    }

    func testWhitespaceSkippedTellsWhetherAValueIsCompact() throws {
        try withReader(#"[{"a":[1,2]}, { "a" : 1 }]"#) { reader in
            try reader.beginArray()
            XCTAssertTrue(try reader.nextArrayElement())
            var before = reader.whitespaceSkipped
            try reader.skipValue()
            XCTAssertEqual(reader.whitespaceSkipped, before)
            XCTAssertTrue(try reader.nextArrayElement())
            before = reader.whitespaceSkipped
            try reader.skipValue()
            XCTAssertEqual(reader.whitespaceSkipped - before, 4)
        }
    }

    func testCompactingKeepsStringsAndEscapesIntact() {
        let text = "{ \"a b\" : [ 1 ,\n\t2 ], \"q\\\" x\" : \" \\\\ \" }"
        var out: [UInt8] = []
        Array(text.utf8).withUnsafeBufferPointer { JSONReader.appendCompacted($0, to: &out) }
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "{\"a b\":[1,2],\"q\\\" x\":\" \\\\ \"}")
    }

    func testPeekKind() throws {
        let kinds: [JSONKind] = try withReader(#"[{}, [], "s", -1, true, false, null]"#) { reader in
            var kinds: [JSONKind] = []
            try reader.beginArray()
            while try reader.nextArrayElement() {
                kinds.append(try reader.peekKind())
                try reader.skipValue()
            }
            return kinds
        }
        XCTAssertEqual(kinds, [.object, .array, .string, .number, .bool, .bool, .null])
    }
}
