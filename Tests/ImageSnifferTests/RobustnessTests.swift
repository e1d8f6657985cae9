import ImageSniffer
import TestSupport
import XCTest

/// A deterministic mutation run over every fixture: flipped bytes, cuts, inserted and deleted
/// runs. The sniffer must return (not trap, not hang) and keep its promises. The libFuzzer
/// target (scripts/fuzz) explores further; this keeps a floor in every `swift test`.
final class RobustnessTests: XCTestCase {
    func testMutatedFixturesKeepTheContract() {
        var random = SeededGenerator(seed: 20_240_601)
        let interesting: [UInt8] = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE]
        var outcomes: [String: Int] = [:]
        for e in Fixtures.images {
            let original = Fixtures.bytes(e.file)
            for _ in 0..<300 {
                var bytes = original
                for _ in 0..<(1 + random.below(6)) {
                    switch random.below(5) {
                    case 0, 1:
                        if !bytes.isEmpty { bytes[random.below(min(bytes.count, 600))] = UInt8(truncatingIfNeeded: random.next()) }
                    case 2:
                        if !bytes.isEmpty { bytes[random.below(min(bytes.count, 600))] = interesting[random.below(interesting.count)] }
                    case 3:
                        bytes = Array(bytes.prefix(random.below(bytes.count + 1)))
                    default:
                        let at = random.below(min(bytes.count, 600) + 1)
                        if random.below(2) == 0 {
                            bytes.insert(contentsOf: (0..<random.below(16)).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: at)
                        } else {
                            bytes.removeSubrange(at..<min(bytes.count, at + random.below(16)))
                        }
                    }
                }
                outcomes[check(bytes, e.file), default: 0] += 1
            }
        }
        print("mutation outcomes: \(outcomes.sorted { $0.key < $1.key })")
        XCTAssertGreaterThan(outcomes["image"] ?? 0, 0)
        XCTAssertGreaterThan(outcomes["corrupt"] ?? 0, 0)
    }

    /// Checks the promises for one input, complete and as an open-ended prefix.
    private func check(_ bytes: [UInt8], _ file: String) -> String {
        let complete = ImageSniffer.sniff(prefix: bytes, totalSize: Int64(bytes.count))
        if case .needMore = complete { XCTFail("\(file) mutated: needMore with the size known") }
        if case .image(let info) = complete {
            if let w = info.width { XCTAssertGreaterThan(w, 0, file) }
            if let h = info.height { XCTAssertGreaterThan(h, 0, file) }
        }
        // The incremental driver, reading this input as a whole file, must reach the same answer.
        let (driven, _, _) = ImageSniffer.sniff(totalSize: Int64(bytes.count), firstRead: 16) { range in
            Array(bytes[min(range.lowerBound, bytes.count)..<min(range.upperBound, bytes.count)])
        }
        XCTAssertEqual(driven, complete, "\(file) mutated: driver and one-shot differ")
        for limit in [64, 1 << 20] {
            if case .needMore(let upTo) = ImageSniffer.sniff(prefix: bytes, totalSize: nil, maxBytes: limit) {
                XCTAssertGreaterThan(upTo, bytes.count, file)
                XCTAssertLessThanOrEqual(upTo, limit, file)
            }
        }
        switch complete {
        case .image: return "image"
        case .corrupt: return "corrupt"
        case .notImage: return "notImage"
        case .needMore: return "needMore"
        }
    }
}
