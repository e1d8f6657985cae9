import Catalog
import XCTest
@testable import CatalogSync

/// A reconcile's result is the sum of its rounds' (`absorb`): every figure its metrics report.
final class BucketSyncResultTests: XCTestCase {
    func testARoundIsAbsorbedWhole() {
        var round = BucketSyncResult(bucket: "b", attempts: 2)
        round.summary = ApplySummary(added: 1)
        round.writes = 1
        round.lostWrites = 1
        round.observeMs = 3
        round.readMs = 5
        round.writeMs = 7
        round.recheckMs = 11
        round.turnWaitMs = 13
        round.carried = 17
        var total = BucketSyncResult(bucket: "b")
        total.absorb(round)
        total.absorb(round)
        XCTAssertEqual(total.summary, ApplySummary(added: 2))
        XCTAssertEqual([total.attempts, total.writes, total.lostWrites, total.carried], [4, 2, 2, 34])
        XCTAssertEqual([total.observeMs, total.readMs, total.writeMs, total.recheckMs, total.turnWaitMs], [6, 10, 14, 22, 26])
    }
}
