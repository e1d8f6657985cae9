import Basics
import Catalog
import XCTest

/// `EntryRun`: a stretch of a catalog in imagecat's form, read strictly.
final class EntryRunTests: XCTestCase {
    let lines = [#"{"name":"a","type":"png","size":1}"#, #"{"name":"b","type":"jpg","size":2}"#, #"{"name":"c","type":"png","size":3}"#]

    func testAWholeFileAndItsStretches() throws {
        let file = bytes(catalogFile(lines))
        let whole = try EntryRun(file, atFileStart: true, atFileEnd: true)
        XCTAssertEqual((0..<whole.count).map(whole.name), ["a", "b", "c"])
        XCTAssertEqual(whole.items.map(\.type), ["png", "jpg", "png"])
        XCTAssertEqual(whole.entry(1), entry("b", "jpg", 2))
        // The middle line alone, and the rest from it: where blocks start and end.
        let middle = try EntryRun(bytes(lines[1] + ",\n"), atFileStart: false, atFileEnd: false)
        XCTAssertEqual(middle.count, 1)
        let tail = try EntryRun(bytes(lines[1] + ",\n" + lines[2] + "\n]\n"), atFileStart: false, atFileEnd: true)
        XCTAssertEqual((0..<tail.count).map(tail.name), ["b", "c"])
        XCTAssertEqual(whole.firstIndex(notBefore: Array("b".utf8)), 1)
        XCTAssertEqual(whole.firstIndex(notBefore: Array("bb".utf8)), 2)
        XCTAssertEqual(whole.firstIndex(notBefore: Array("z".utf8)), 3)
        XCTAssertEqual(try EntryRun(bytes("[]\n"), atFileStart: true, atFileEnd: true).count, 0)
    }

    func testAnythingElseIsALayoutErrorNotCorruption() {
        let cases: [(String, Bool, Bool)] = [
            ("[" + lines[0] + "]\n", true, true),                                  // one line
            ("[\n" + lines[1] + ",\n" + lines[0] + "\n]\n", true, true),          // not sorted
            ("[\n" + lines[0] + ",\n" + lines[0] + "\n]\n", true, true),          // a duplicate
            ("[\n" + #"{"name": "a","type":"png","size":1}"# + "\n]\n", true, true),  // not compact
            (lines[0] + "\n]\n", false, false),                                    // the end, unexpected
            (lines[0] + ",\n", false, true),                                       // a comma at the end
            (lines[0], false, false),                                              // no separator
        ]
        for (text, start, end) in cases {
            XCTAssertThrowsError(try EntryRun(bytes(text), atFileStart: start, atFileEnd: end), text) { error in
                guard case CatalogError.layout = error else { return XCTFail("\(error) for \(text)") }
            }
        }
    }

    /// Where in the file: the offset always; the entry's number only when the run starts the
    /// file (a stretch of a big catalog does not know how many entries came before it: it said
    /// "entry 2" of the stretch, and a JSON error was "entry 0").
    func testAnInvalidEntryIsCorruptAndSaysWhere() {
        let text = lines[0] + ",\n" + #"{"name":"b","type":"png"}"# + ",\n"
        XCTAssertThrowsError(try EntryRun(bytes(text), atFileStart: false, atFileEnd: false, offset: 1_000)) { error in
            XCTAssertEqual("\(error)", #"the entry at offset 1036: missing "size""#)
        }
        XCTAssertThrowsError(try EntryRun(bytes("[\n" + text), atFileStart: true, atFileEnd: false)) { error in
            XCTAssertEqual("\(error)", #"entry 2 (offset 38): missing "size""#)
        }
        XCTAssertThrowsError(try EntryRun(bytes("[\n" + lines[0] + ",\n" + #"{"name":"b\x"}"# + ",\n"), atFileStart: true, atFileEnd: false)) { error in
            XCTAssertTrue("\(error)".hasPrefix("entry 2 (offset 38)"), "\(error)")
        }
    }
}
