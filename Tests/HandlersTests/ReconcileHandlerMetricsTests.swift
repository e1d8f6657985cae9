import CatalogSync
import JSON
import LambdaRuntime
import Storage
import TestSupport
import XCTest
@testable import Handlers

/// The reconcile's EMF document: what it applied, no `RecordsReceived` (it receives none).
final class ReconcileHandlerMetricsTests: XCTestCase {
    func testReconcileReportsWhatItRepaired() throws {
        let store = MemoryStore()
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        store.put("b", "b.png", bytes: MemoryStore.png(width: 2, height: 1))
        store.put("b", "notes.txt", "text")
        let metrics = MetricLines()
        let handler = ReconcileHandler(updater: CatalogUpdater(store: store, catalogKey: "images.json"), bucket: "b",
                                       telemetry: HandlerTelemetry(metrics: metrics.emitter(handler: "reconcile")))
        _ = try handler.handle(Array("{}".utf8), context: InvocationContext(requestID: "r", deadline: nil, invokedFunctionARN: "arn"))
        XCTAssertEqual(metrics.value("EntriesAdded"), 2)
        XCTAssertEqual(metrics.value("KeysSkippedNotImage"), 1)
        XCTAssertEqual(metrics.value("CatalogWrites"), 1)
        XCTAssertEqual(metrics.value("CatalogEntries"), 2)
        XCTAssertEqual(metrics.value("FailedBuckets"), 0)
        XCTAssertNil(metrics.value("RecordsReceived"))
        XCTAssertEqual(metrics.invocations.last?["Handler"], .string("reconcile"))
    }

    func testAFailedReconcileStillReports() {
        let store = MemoryStore()
        store.put("b", "images.json", "{}")
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        let metrics = MetricLines()
        let handler = ReconcileHandler(updater: CatalogUpdater(store: store, catalogKey: "images.json"), bucket: "b",
                                       telemetry: HandlerTelemetry(metrics: metrics.emitter(handler: "reconcile")))
        XCTAssertThrowsError(try handler.handle(Array("{}".utf8), context: InvocationContext(requestID: "r", deadline: nil, invokedFunctionARN: "arn")))
        XCTAssertEqual(metrics.value("FailedBuckets"), 1)
    }
}
