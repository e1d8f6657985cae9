import Basics
import CatalogSync
import JSON
import LambdaRuntime
import S3
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

    /// Keys whose reads fail alone leave the run going: counted (`KeysFailed`), the first 20
    /// logged one by one and the rest in one line.
    func testKeysWhoseReadsFailAreCountedAndTheirLinesBounded() throws {
        let store = MemoryStore()
        for i in 0..<25 {
            let key = "k\(i).png"
            store.put("b", key, bytes: MemoryStore.png(width: 1, height: 1))
            store.rangeErrors[ExactKey(key)] = KeyReadError(S3Error(
                operation: "GetObject", bucket: "b", key: key, kind: .service(status: 500, code: "InternalError", message: "", requestId: nil)))
        }
        store.put("b", "ok.png", bytes: MemoryStore.png(width: 1, height: 1))
        let metrics = MetricLines(), logged = LogLines()
        let handler = ReconcileHandler(updater: CatalogUpdater(store: store, catalogKey: "images.json"), bucket: "b",
                                       telemetry: HandlerTelemetry(log: logged.log, metrics: metrics.emitter(handler: "reconcile")))
        _ = try handler.handle(Array("{}".utf8), context: InvocationContext(requestID: "r", deadline: nil, invokedFunctionARN: "arn"))
        XCTAssertEqual(metrics.value("KeysFailed"), 25)
        XCTAssertEqual(metrics.value("EntriesAdded"), 1)
        let warnings = logged.records.filter { $0.level == .warn }.map(\.message)
        XCTAssertEqual(warnings.count, 21, "\(warnings)")
        XCTAssertEqual(warnings.last, "s3://b: 5 more keys whose reads failed, left for the next run (KeysFailed)")
    }
}
