import Basics
import CatalogSync
import JSON
import LambdaRuntime
import S3
import Storage
import Telemetry
import TestSupport
import XCTest
@testable import Handlers

/// The catalog handler's one EMF document per invocation (and the cold start's): what it
/// counts, the lag from `eventTime`, and that a failed invocation still reports.
final class CatalogHandlerMetricsTests: XCTestCase {
    let store = MemoryStore()
    let metrics = MetricLines()
    let logged = LogLines()
    let now: Int64 = 1_800_000_000_000
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

    func handler(propagatesTrace: Bool = false) -> CatalogHandler {
        var updater = CatalogUpdater(store: store, catalogKey: "images.json")
        updater.sleepMs = { _ in }
        updater.nowMs = { [now] in now }
        return CatalogHandler(updater: updater, telemetry: HandlerTelemetry(log: logged.log, metrics: metrics.emitter(),
                                                                           propagatesTrace: propagatesTrace))
    }

    func context(_ id: String = "req-1") -> InvocationContext {
        InvocationContext(requestID: id, deadline: nil, invokedFunctionARN: "arn:aws:lambda:us-east-1:1:function:f", traceID: trace)
    }

    func record(_ bucket: String, _ key: String, ageMs: Int64? = nil, _ name: String = "ObjectCreated:Put") -> JSONValue {
        var object: JSONObject = ["eventVersion": .string("2.1"), "eventSource": .string("aws:s3"), "eventName": .string(name),
                                  "s3": .object(["bucket": .object(["name": .string(bucket)]), "object": .object(["key": .string(key)])])]
        if let ageMs { object["eventTime"] = .string(UTCTime.iso8601(epochMilliseconds: now - ageMs)) }
        return .object(object)
    }

    func invoke(_ records: [JSONValue], _ handler: CatalogHandler? = nil, id: String = "req-1") throws -> [UInt8] {
        try (handler ?? self.handler()).handle(JSONValue.object(["Records": .array(records)]).serialized(), context: context(id))
    }

    /// A record for a bucket this function does not serve is never applied, and never silent:
    /// a WARN line names it and `RecordsNotServed` counts it (under SQS its message is done, so
    /// nothing else would show it).
    func testRecordsForAnotherBucketAreLoggedAndCounted() throws {
        store.put("mine", "a.png", bytes: MemoryStore.png(width: 3, height: 2))
        var handler = handler()
        handler.buckets = BucketAllowList(["mine"])
        _ = try invoke([record("mine", "a.png"), record("other", "b.png"), record("other", "c.png")], handler)
        XCTAssertEqual(metrics.value("RecordsNotServed"), 2)
        let warnings = logged.records.filter { $0.level == .warn }
        XCTAssertEqual(warnings.map { $0.fields["key"] }, [.string("b.png"), .string("c.png")])
        XCTAssertEqual(warnings.first?.message, "ignored b.png: bucket other is not the one this function serves (mine)")
        _ = try invoke([record("mine", "a.png")], handler, id: "req-2")
        XCTAssertEqual(metrics.value("RecordsNotServed"), 0)
    }

    func testCountsWhatWasReceivedAppliedAndSkipped() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 3, height: 2))
        store.put("b", "c.png", bytes: MemoryStore.png(width: 1, height: 1))
        store.put("b", "notes.txt", "text")
        store.put("b", "archived.png", bytes: MemoryStore.png(width: 1, height: 1))
        store.rangeErrors[ExactKey("archived.png")] = KeyReadError(S3Error(
            operation: "GetObject", bucket: "b", key: "archived.png",
            kind: .service(status: 403, code: "InvalidObjectState", message: "archived", requestId: nil)))
        _ = try invoke([record("b", "a.png", ageMs: 1500), record("b", "a.png", ageMs: 900), record("b", "c.png", ageMs: 2500),
                        record("b", "notes.txt", ageMs: 100), record("b", "archived.png"), record("b", "images.json")])
        XCTAssertEqual(metrics.invocations.count, 1, "one document per invocation")
        XCTAssertEqual(metrics.documents.count, 2, "plus the cold start's")
        XCTAssertEqual(metrics.documents.first?["ColdStart"], .int(1))
        XCTAssertEqual(metrics.value("RecordsReceived"), 6)
        XCTAssertEqual(metrics.value("EntriesAdded"), 2)
        XCTAssertEqual(metrics.value("EntriesUpdated"), 0)
        XCTAssertEqual(metrics.value("KeysSkipped"), 2)
        XCTAssertEqual(metrics.value("KeysSkippedNotImage"), 1)
        XCTAssertEqual(metrics.value("KeysSkippedRefused"), 1)
        XCTAssertEqual(metrics.value("KeysSkippedUnreadable"), 0)
        XCTAssertEqual(metrics.value("CatalogWrites"), 1)
        XCTAssertEqual(metrics.value("LostWrites"), 0)
        XCTAssertEqual(metrics.value("Rounds"), 1)
        XCTAssertEqual(metrics.value("FailedBuckets"), 0)
        XCTAssertEqual(metrics.value("InvalidEvents"), 0)
        XCTAssertEqual(metrics.value("CatalogEntries"), 2)
        XCTAssertEqual(metrics.value("CatalogBytes"), Double(store.text("b", "images.json")!.utf8.count))
        XCTAssertGreaterThan(metrics.value("ObservedBytes") ?? 0, 0)
        // Every record with an eventTime, the redelivered one too; the self-trigger names no bucket work.
        XCTAssertEqual(metrics.values("CatalogLag")?.sorted(), [100, 900, 1500, 2500])
        for phase in ["ObserveDuration", "ReadDuration", "WriteDuration", "RecheckDuration", "TurnWaitDuration"] {
            XCTAssertEqual(metrics.value(phase), 0, "\(phase): the clock stood still")
        }
        let document = try XCTUnwrap(metrics.invocations.last)
        XCTAssertEqual(document["requestId"], .string("req-1"))
        XCTAssertEqual(document["FunctionName"], .string("imagecat-test"))
        XCTAssertEqual(document["Handler"], .string("catalog"))
        XCTAssertEqual(document["S3Requests"], .int(0), "a memory store makes no S3 requests")
        XCTAssertNil(document["S3Latency"], "no latency without requests")
    }

    func testAContendedBucketReportsItsRoundsAndLostWritesAndFails() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        store.forcedConflicts = 60
        XCTAssertThrowsError(try invoke([record("b", "a.png", ageMs: 10)]))
        XCTAssertEqual(metrics.value("Rounds"), 50)
        XCTAssertEqual(metrics.value("LostWrites"), 50)
        XCTAssertEqual(metrics.value("FailedBuckets"), 1)
        XCTAssertEqual(metrics.value("CatalogWrites"), 0)
        XCTAssertNil(metrics.values("CatalogLag"), "nothing was cataloged, so no lag")
    }

    /// A key whose read fails alone is counted (`KeysFailed`, which the catalog-errors alarm
    /// reads): under SQS its record comes back and nothing fails, so no other figure shows it.
    func testAKeyWhoseReadFailedAloneIsCounted() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        store.put("b", "broken.png", bytes: MemoryStore.png(width: 1, height: 1))
        store.rangeErrors[ExactKey("broken.png")] = KeyReadError(S3Error(
            operation: "GetObject", bucket: "b", key: "broken.png", kind: .service(status: 500, code: "InternalError", message: "", requestId: nil)))
        XCTAssertThrowsError(try invoke([record("b", "a.png"), record("b", "broken.png")]))
        XCTAssertEqual(metrics.value("KeysFailed"), 1)
        XCTAssertEqual(metrics.value("FailedBuckets"), 0)
        XCTAssertEqual(metrics.value("CatalogWrites"), 1)
        XCTAssertEqual(logged.records.filter { $0.level == .error }.count, 1, "the key, once: \(logged.lines)")
    }

    func testAnUnreadableEventIsCountedAndStillReported() {
        XCTAssertThrowsError(try handler().handle(Array("{oops".utf8), context: context()))
        XCTAssertEqual(metrics.value("InvalidEvents"), 1)
        XCTAssertEqual(metrics.value("RecordsReceived"), 0)
    }

    func testSQSBodiesThatCannotBeReadAreInvalidEvents() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        let body = String(decoding: JSONValue.object(["Records": .array([record("b", "a.png", ageMs: 40)])]).serialized(), as: UTF8.self)
        let event = JSONValue.object(["Records": .array([
            .object(["eventSource": .string("aws:sqs"), "messageId": .string("m1"), "body": .string(body)]),
            .object(["eventSource": .string("aws:sqs"), "messageId": .string("m2"), "body": .string("{oops")]),
        ])])
        _ = try handler().handle(event.serialized(), context: context())
        XCTAssertEqual(metrics.value("InvalidEvents"), 1)
        XCTAssertEqual(metrics.value("RecordsReceived"), 1)
        XCTAssertEqual(metrics.values("CatalogLag"), [40])
        XCTAssertEqual(logged.records.first { $0.level == .error }?.fields["messageId"], .string("m2"))
    }

    func testColdStartOnlyOnce() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        let handler = handler()
        _ = try invoke([record("b", "a.png")], handler, id: "r1")
        _ = try invoke([record("b", "a.png")], handler, id: "r2")
        XCTAssertEqual(metrics.documents.filter { $0["ColdStart"] != nil }.count, 1)
        XCTAssertEqual(metrics.invocations.map { $0["requestId"] }, [.string("r1"), .string("r2")])
        XCTAssertEqual(metrics.value("EntriesUnchanged"), 1, "the redelivery changed nothing")
    }

    /// The store gets the invocation's trace header only inside Lambda (`AWS_LAMBDA_FUNCTION_NAME`).
    func testTraceHeaderIsHandedToTheStoreOnlyInsideLambda() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        _ = try invoke([record("b", "a.png")], handler(propagatesTrace: false))
        XCTAssertNil(store.traceHeader)
        _ = try invoke([record("b", "a.png")], handler(propagatesTrace: true))
        XCTAssertEqual(store.traceHeader, trace)
    }

    func testSkipsAreLoggedAtTheirLevelWithFields() throws {
        store.put("b", "notes.txt", "text")
        store.put("b", "broken.png", bytes: MemoryStore.png(width: 2_000_000, height: 1))      // past the 2^20 limit
        _ = try invoke([record("b", "notes.txt"), record("b", "broken.png")])
        let skips = logged.records.filter { $0.message.hasPrefix("skipped ") }
        XCTAssertEqual(skips.map(\.level), [.info, .warn], "\(skips.map(\.message))")
        XCTAssertEqual(skips.map { $0.fields["skip"] }, [.string("notImage"), .string("unreadable")])
        XCTAssertEqual(skips.map { $0.fields["key"] }, [.string("notes.txt"), .string("broken.png")])
        XCTAssertEqual(metrics.value("KeysSkippedUnreadable"), 1)
        let summary = try XCTUnwrap(logged.records.first { $0.level == .debug })
        XCTAssertEqual(summary.fields["bucket"], .string("b"))
        XCTAssertEqual(summary.fields["rounds"], .int(1))
    }
}
