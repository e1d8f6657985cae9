import S3
import XCTest
@testable import Handlers

final class S3MeterTests: XCTestCase {
    func testCountsRequestsAndRetriesAndTakesThemOnce() {
        let meter = S3Meter()
        meter.record(S3RequestRecord(operation: "GetObject", status: 503, durationMs: 30, attempt: 1))
        meter.record(S3RequestRecord(operation: "GetObject", status: 200, durationMs: 12, attempt: 2))
        meter.record(S3RequestRecord(operation: "PutObject", status: nil, durationMs: nil, attempt: 1))
        let taken = meter.take()
        XCTAssertEqual(taken.requests, 3)
        XCTAssertEqual(taken.retries, 1)
        XCTAssertEqual(taken.latenciesMs, [30, 12], "unanswered requests have no latency")
        XCTAssertEqual(meter.take().requests, 0, "the next invocation starts from nothing")
    }

    func testLatenciesAreBoundedBySampling() {
        var draws = 0
        let meter = S3Meter(random: { n in draws += 1; return n - 1 })     // always past the reservoir: kept values stay
        for i in 0..<(S3Meter.maxKept + 500) {
            meter.record(S3RequestRecord(operation: "HeadObject", status: 200, durationMs: Double(i), attempt: 1))
        }
        let taken = meter.take()
        XCTAssertEqual(taken.requests, S3Meter.maxKept + 500)
        XCTAssertEqual(taken.latenciesMs.count, S3Meter.maxKept)
        XCTAssertEqual(draws, 500)
    }
}
