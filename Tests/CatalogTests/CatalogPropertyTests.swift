import Catalog
import JSON
import TestSupport
import XCTest

/// However a batch is shuffled and duplicated, applying it gives the catalog that applying the
/// last observation of each key once gives, and applying it again changes nothing.
final class CatalogPropertyTests: XCTestCase {
    private let keys = ["a.png", "b c.png", "d+e.png", "ü.png", "caf\u{E9}.png", "cafe\u{301}.png",
                        "x/y/z.png", "q\"uote.png", "back\\slash.png", "tab\t.png", "k1", "k2", "k3", "k4"]

    private func randomEntry(_ name: String, _ rng: inout SeededGenerator) -> CatalogEntry {
        var extra = JSONObject()
        if Bool.random(using: &rng) { extra["etag"] = .string("e\(Int.random(in: 0..<3, using: &rng))") }
        if Bool.random(using: &rng) { extra["width"] = .int(Int.random(in: 0..<3, using: &rng)) }
        if Int.random(in: 0..<4, using: &rng) == 0 { extra["note"] = .string("n\(Int.random(in: 0..<2, using: &rng))") }
        return CatalogEntry(name: name, type: ["png", "jpg"].randomElement(using: &rng)!,
                            size: Int64.random(in: 0..<3, using: &rng), extra: extra)
    }

    private func randomObservation(_ rng: inout SeededGenerator) -> Observation {
        let name = keys.randomElement(using: &rng)!
        return Int.random(in: 0..<4, using: &rng) == 0 ? .missing(name) : .exists(randomEntry(name, &rng))
    }

    func testShuffledDuplicatedBatchesEqualLastObservationPerKey() throws {
        for seed in UInt64(1)...300 {
            var rng = SeededGenerator(seed: seed)
            let policy = [UpsertPolicy.merge, .replace, .merge(managing: ["width"])].randomElement(using: &rng)!

            var start = "[]\n"
            let initial = (0..<Int.random(in: 0..<8, using: &rng)).map { _ in Observation.exists(randomEntry(keys.randomElement(using: &rng)!, &rng)) }
            start = try applied(start, initial, policy: .replace).file

            let observations = (0..<Int.random(in: 1..<12, using: &rng)).map { _ in randomObservation(&rng) }
            var batch = observations
            for _ in 0..<Int.random(in: 0..<6, using: &rng) { batch.append(observations.randomElement(using: &rng)!) }
            batch.shuffle(using: &rng)

            // Reference: the last observation of each key, applied once, one key at a time.
            var order: [[UInt8]] = []
            var last: [[UInt8]: Observation] = [:]
            for observation in batch {
                let key = Array(observation.name.utf8)
                if last.updateValue(observation, forKey: key) == nil { order.append(key) }
            }
            var expected = start
            for key in order { expected = try applied(expected, [last[key]!], policy: policy).file }

            let (outcomes, actual) = try applied(start, batch, policy: policy)
            XCTAssertEqual(actual, expected, "seed \(seed)")
            XCTAssertEqual(outcomes.count, order.count, "seed \(seed)")
            XCTAssertEqual(ApplySummary(outcomes).changed, actual != start, "seed \(seed)")

            // Written and read back, the batch changes nothing (a redelivery).
            let again = try applied(actual, batch, policy: policy)
            XCTAssertFalse(ApplySummary(again.outcomes).changed, "seed \(seed)")
            XCTAssertEqual(again.file, actual, "seed \(seed)")
        }
    }

    func testWithReplaceApplyingOneByOneEqualsApplyingTheBatch() throws {
        for seed in UInt64(1000)...1100 {
            var rng = SeededGenerator(seed: seed)
            let batch = (0..<Int.random(in: 1..<20, using: &rng)).map { _ in randomObservation(&rng) }
            var oneByOne = "[]\n"
            for observation in batch { oneByOne = try applied(oneByOne, [observation], policy: .replace).file }
            XCTAssertEqual(oneByOne, try applied("[]\n", batch, policy: .replace).file, "seed \(seed)")
        }
    }
}

/// Corrupted catalogs must be refused (or, when the damage happens to be valid, accepted as a
/// catalog that writes back stably); never a crash.
final class CatalogFuzzTests: XCTestCase {
    func testMutatedCatalogsNeverCrash() throws {
        let valid = Array(catalogFile([
            #"{"name":"a b.png","type":"png","size":12,"etag":"\"e\"","w":[1,{"x":null}]}"#,
            #"{"name":"caf\u00e9.png","type":"jpg","size":0}"#,
            #"{"name":"a b.png","type":"png","size":3}"#,
        ]).utf8)
        let alphabet = Array(#"{}[],:"\ 019aeEn.-"#.utf8) + [0x0A, 0xC3, 0xFF]
        var rng = SeededGenerator(seed: 7)
        var accepted = 0
        for _ in 0..<10_000 {
            var doc = valid
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let i = Int.random(in: 0..<doc.count, using: &rng)
                if Bool.random(using: &rng) { doc[i] = alphabet.randomElement(using: &rng)! } else { doc.remove(at: i) }
                if doc.isEmpty { doc = [0x20] }
            }
            do {
                let catalog = try Catalog(parsing: doc)
                accepted += 1
                let once = catalog.canonical()
                let again = try Catalog(parsing: once)
                XCTAssertEqual(again.canonical(), once)
                XCTAssertEqual(again.count, catalog.count)
                XCTAssertEqual(try applied(text(once), upserts(entry("z.png"))).outcomes, [.added])
                XCTAssertNoThrow(try EntryRun(once, atFileStart: true, atFileEnd: true), "the canonical form reads strictly")
            } catch {
                XCTAssertFalse(error.description.isEmpty)
            }
        }
        XCTAssertGreaterThan(accepted, 0)
    }

    func testDeepNestingInsideAnEntryIsASyntaxError() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        guard case .syntax(let error)? = catalogError(#"[{"name":"a","type":"t","size":1,"x":"# + deep + "}]") else {
            return XCTFail("expected a syntax error")
        }
        XCTAssertEqual(error.message, "nesting deeper than 512 levels")
    }
}
