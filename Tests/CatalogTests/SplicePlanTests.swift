import Basics
import Catalog
import XCTest

/// `SplicePlan`: what a write rewrites and what it copies, within S3's part rules.
final class SplicePlanTests: XCTestCase {
    /// 100 blocks of 100 bytes: a 10,000-byte catalog; parts of at least 500, windows of 800.
    let index = CatalogIndex(etag: "e", size: 10_000, blocks: (0..<100).map {
        .init(firstName: ExactKey(String(format: "k%03d", $0)), offset: Int64($0 * 100), count: 1, typeBits: 1)
    }, types: ["png"])

    func plan(_ touched: [Int]) -> SplicePlan { SplicePlan(index: index, touched: touched, minPart: 500, target: 800) }

    func testAChangeInTheMiddleRewritesOneWindowAndCopiesTheRest() {
        XCTAssertEqual(plan([50]).regions, [.copy(0..<5_000), .rewrite(50..<58), .copy(5_800..<10_000)])
    }

    func testAChangeNearTheEndRewritesOnlyToTheEnd() {
        XCTAssertEqual(plan([98]).regions, [.copy(0..<9_800), .rewrite(98..<100)])
        XCTAssertEqual(plan([99]).regions, [.copy(0..<9_900), .rewrite(99..<100)])
    }

    func testAChangeNearTheStartRewritesFromTheStart() {
        XCTAssertEqual(plan([3]).regions, [.rewrite(0..<11), .copy(1_100..<10_000)])
    }

    func testWindowsCloserThanAPartMerge() {
        XCTAssertEqual(plan([20, 30]).regions, [.copy(0..<2_000), .rewrite(20..<38), .copy(3_800..<10_000)])
        XCTAssertEqual(plan([20, 40]).regions, [.copy(0..<2_000), .rewrite(20..<28), .copy(2_800..<4_000), .rewrite(40..<48),
                                                .copy(4_800..<10_000)])
    }

    func testCopiesAreCutIntoPartsOfAboutTheTargetNoneUnderAPart() {
        let cut = SplicePlan(index: index, touched: [98], minPart: 500, target: 800, copyTarget: 2_000)
        XCTAssertEqual(cut.regions, [.copy(0..<1_960), .copy(1_960..<3_920), .copy(3_920..<5_880), .copy(5_880..<7_840),
                                     .copy(7_840..<9_800), .rewrite(98..<100)])
        // A target under a part's minimum still gives parts of at least minPart, evenly cut.
        let small = SplicePlan(index: index, touched: [98], minPart: 500, target: 800, copyTarget: 1)
        let sizes = small.regions.compactMap { if case .copy(let r) = $0 { r.upperBound - r.lowerBound } else { nil } }
        XCTAssertEqual(sizes.count, 19)
        XCTAssertTrue(sizes.allSatisfy { $0 >= 500 && $0 <= 516 }, "\(sizes)")
        XCTAssertEqual(sizes.reduce(0, +), 9_800)
        XCTAssertEqual(small.grown(by: 97, index: index, minPart: 500, target: 800).copyTarget, 1, "kept when grown")
    }

    func testScatteredChangesRewriteEverything() {
        let everywhere = plan(Array(stride(from: 0, to: 100, by: 9)))
        XCTAssertEqual(everywhere.regions, [.rewrite(0..<100)])
        XCTAssertTrue(everywhere.rewritesEverything)
    }

    func testEveryPartButTheLastIsBigEnough() {
        for touched in [[0], [5], [50], [94], [95], [99], [10, 60], [0, 99], [45, 46, 47, 90]] {
            let regions = plan(touched).regions
            var end: Int64 = 0
            for (i, region) in regions.enumerated() {
                let range: Range<Int64>
                switch region {
                case .copy(let r): range = r
                case .rewrite(let blocks): range = index.range(of: blocks)
                }
                XCTAssertEqual(range.lowerBound, end, "\(touched): regions are contiguous")
                end = range.upperBound
                if i < regions.count - 1 { XCTAssertGreaterThanOrEqual(SplicePlan.length(range), 500, "\(touched) \(region)") }
            }
            XCTAssertEqual(end, 10_000, "\(touched)")
            for block in touched {
                XCTAssertTrue(regions.contains { if case .rewrite(let b) = $0 { b.contains(block) } else { false } }, "\(touched)")
            }
        }
    }

    func testGrowingAddsABlock() {
        XCTAssertEqual(plan([50]).grown(by: 58, index: index, minPart: 500, target: 800).regions,
                       [.copy(0..<5_000), .rewrite(50..<66), .copy(6_600..<10_000)])
        XCTAssertEqual(plan([99]).grown(by: 98, index: index, minPart: 500, target: 800).regions,
                       [.copy(0..<9_800), .rewrite(98..<100)])
    }
}
