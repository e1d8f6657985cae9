import JSON
import TestSupport
import XCTest

/// Mutated documents must be either rejected with an error inside the input or accepted as
/// something that round-trips; never a crash or a hang.
final class JSONFuzzTests: XCTestCase {
    func testMutatedDocumentsNeverCrash() {
        let seed = Array(#"{"a":[1,-2.5e3,true,false,null,"x\"\u00e9\ud83d\ude00"],"b":{"c":[]},"d":"é"}"#.utf8)
        let alphabet = Array(#"{}[],:"\ u0123456789abcdefEe+-.tnrl"#.utf8) + [0x00, 0x0A, 0x80, 0xC3, 0xA9, 0xED, 0xF0, 0xFF]
        var rng = SeededGenerator(seed: 42)
        var accepted = 0
        for _ in 0..<20_000 {
            var doc = seed
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<max(doc.count, 1), using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0 where !doc.isEmpty: doc.remove(at: i)
                case 1: doc.insert(alphabet.randomElement(using: &rng)!, at: min(i, doc.count))
                default: if !doc.isEmpty { doc[i] = alphabet.randomElement(using: &rng)! }
                }
            }
            do {
                let value = try JSONParser.parse(doc)
                accepted += 1
                XCTAssertEqual(try JSONParser.parse(value.serialized()), value)
            } catch {
                XCTAssert(error.offset >= 0 && error.offset <= doc.count, "\(error)")
                XCTAssert(error.line >= 1 && error.column >= 1)
            }
        }
        XCTAssertGreaterThan(accepted, 0)  // the mutations do sometimes keep it valid
    }
}
