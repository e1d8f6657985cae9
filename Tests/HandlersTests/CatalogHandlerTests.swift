import Storage
import Basics
import Catalog
import JSON
import LambdaRuntime
import S3
import XCTest
import TestSupport
@testable import CatalogSync
@testable import Handlers

final class CatalogHandlerTests: XCTestCase {
    let store = MemoryStore()
    let context = InvocationContext(requestID: "req-1", deadline: nil, invokedFunctionARN: "arn:aws:lambda:us-east-1:1:function:f")

    func handler() -> CatalogHandler {
        var updater = CatalogUpdater(store: store, catalogKey: "images.json")
        updater.sleepMs = { _ in }
        return CatalogHandler(updater: updater)
    }

    func invoke(_ event: JSONValue) throws -> JSONValue {
        try JSONValue(parsing: handler().handle(event.serialized(), context: context))
    }

    func s3Record(_ bucket: String, _ key: String, _ name: String = "ObjectCreated:Put") -> JSONValue {
        .object(["eventVersion": .string("2.1"), "eventSource": .string("aws:s3"), "eventName": .string(name),
                 "s3": .object(["bucket": .object(["name": .string(bucket)]), "object": .object(["key": .string(key)])])])
    }

    func sqsMessage(_ id: String, _ body: String) -> JSONValue {
        .object(["eventSource": .string("aws:sqs"), "messageId": .string(id), "body": .string(body)])
    }

    /// The answer to an SQS batch of one S3 record per message, logged to `lines`.
    func sqsBatch(_ messages: [(id: String, bucket: String, key: String)], logTo lines: LogLines) throws -> JSONValue {
        var updater = CatalogUpdater(store: store, catalogKey: "images.json")
        updater.sleepMs = { _ in }
        let handler = CatalogHandler(updater: updater, telemetry: HandlerTelemetry(log: lines.log))
        let event = JSONValue.object(["Records": .array(messages.map { message in
            let body = JSONValue.object(["Records": .array([s3Record(message.bucket, message.key)])]).serialized()
            return sqsMessage(message.id, String(decoding: body, as: UTF8.self))
        })])
        return try JSONValue(parsing: handler.handle(event.serialized(), context: context))
    }

    /// Without a `Lambda-Runtime-Deadline-Ms` header there is no time budget, so the documented
    /// cap of `maxAttempts` rounds bounds the contention (it once never applied: a missing
    /// deadline was passed down as the largest possible one).
    func testWithoutADeadlineContentionStopsAfterMaxAttempts() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        store.forcedConflicts = 60
        XCTAssertThrowsError(try invoke(.object(["Records": .array([s3Record("b", "a.png")])]))) { error in
            XCTAssertEqual((error as? LambdaError)?.errorType, "Function.CatalogConflict")
            XCTAssertTrue("\(error)".contains("after 50 conditional writes"), "\(error)")
        }
        XCTAssertEqual(store.requests("PUT").count, 50)
    }

    /// The catalog's clean-up requests wait for the answer: the invocation settles its store
    /// only in `afterAnswer`.
    func testTheStoreIsSettledAfterTheAnswerNotBefore() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        let handler = handler()
        _ = try handler.handle(JSONValue.object(["Records": .array([s3Record("b", "a.png")])]).serialized(), context: context)
        XCTAssertEqual(store.settled, 1, "at the sync's start only")
        handler.afterAnswer()
        XCTAssertEqual(store.settled, 2)
    }

    /// Work ends by the work deadline (Lambda's less the report margin); the clean-up after the
    /// answer may use that margin, answered or failed.
    func testTheCleanUpAfterTheAnswerMayUseTheReportMargin() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        let lambda = Deadline.after(milliseconds: 60_000)
        let timed = InvocationContext(requestID: "r", deadline: lambda, invokedFunctionARN: "arn:aws:lambda:us-east-1:1:function:f")
        _ = try handler().handle(JSONValue.object(["Records": .array([s3Record("b", "a.png")])]).serialized(), context: timed)
        XCTAssertEqual(store.deadline, lambda)
        store.deadline = nil
        XCTAssertThrowsError(try handler().handle(Array("not json".utf8), context: timed))
        XCTAssertEqual(store.deadline, lambda)
    }

    func testSummaryCountsAndReasons() throws {
        store.put("b", "cat one.jpg", bytes: MemoryStore.png(width: 3, height: 2))
        store.put("b", "notes.txt", "text")
        store.put("b", "x.jpg", bytes: MemoryStore.png(width: 1, height: 1))
        let answer = try invoke(.object(["Records": .array([
            s3Record("b", "cat+one.jpg"), s3Record("b", "cat+one.jpg"), s3Record("b", "notes.txt"),
            s3Record("b", "images.json"), s3Record("b", "x.jpg", "ObjectTagging:Put"),
        ])]))
        XCTAssertEqual(answer["records"]?.int64Value, 5)
        XCTAssertEqual(answer["added"]?.int64Value, 1)
        XCTAssertEqual(answer["catalogWrites"]?.int64Value, 1)
        let reasons = answer["skipped"]?.arrayValue?.compactMap { $0["key"]?.stringValue }
        XCTAssertEqual(reasons, ["notes.txt", "images.json", "x.jpg"])
        XCTAssertEqual(try Catalog(parsing: Array(store.text("b", "images.json")!.utf8)).names, ["cat one.jpg"])
    }

    func testOneWritePerBucket() throws {
        for key in ["a.png", "b.png", "c.png"] { store.put("one", key, bytes: MemoryStore.png(width: 1, height: 1)); store.put("two", key, bytes: MemoryStore.png(width: 1, height: 1)) }
        _ = try invoke(.object(["Records": .array(["a.png", "b.png", "c.png"].flatMap { [s3Record("one", $0), s3Record("two", $0)] })]))
        XCTAssertEqual(store.requests("PUT"), ["PUT one/images.json if-none-match * -> 200", "PUT two/images.json if-none-match * -> 200"])
        XCTAssertEqual(store.requests("RANGE").filter { $0.contains("/images.json") },
                       ["RANGE one/images.json 0-1048575 -> 404", "RANGE two/images.json 0-1048575 -> 404"])
    }

    func testDirectDeliveryFailsTheInvocationWhenABucketFails() throws {
        store.put("good", "a.png", bytes: MemoryStore.png(width: 3, height: 2))
        store.put("bad", "images.json", "{}")
        store.put("bad", "a.png", bytes: MemoryStore.png(width: 3, height: 2))
        XCTAssertThrowsError(try invoke(.object(["Records": .array([s3Record("good", "a.png"), s3Record("bad", "a.png")])]))) {
            XCTAssertEqual(($0 as? LambdaError)?.errorType, "Function.CorruptCatalog")
        }
        // The healthy bucket was still brought up to date; the corrupt one is untouched.
        XCTAssertNotNil(store.text("good", "images.json"))
        XCTAssertEqual(store.text("bad", "images.json"), "{}")
    }

    func testSQSPartialBatchFailureNamesOnlyTheFailedMessages() throws {
        store.put("good", "a.png", bytes: MemoryStore.png(width: 3, height: 2))
        store.put("bad", "images.json", "not json")
        store.put("bad", "b.png", bytes: MemoryStore.png(width: 3, height: 2))
        func body(_ records: JSONValue...) -> String {
            String(decoding: JSONValue.object(["Records": .array(records)]).serialized(), as: UTF8.self)
        }
        let answer = try invoke(.object(["Records": .array([
            sqsMessage("m-good", body(s3Record("good", "a.png"))),
            sqsMessage("m-bad-bucket", body(s3Record("bad", "b.png"))),
            sqsMessage("m-not-json", "{oops"),
            sqsMessage("m-test", #"{"Service":"Amazon S3","Event":"s3:TestEvent"}"#),
            // The failed bucket's own catalog: ignored, so not to come back with the bucket's failure.
            sqsMessage("m-self", body(s3Record("bad", "images.json"))),
        ])]))
        XCTAssertEqual(answer, .object(["batchItemFailures": .array([
            .object(["itemIdentifier": .string("m-not-json")]),
            .object(["itemIdentifier": .string("m-bad-bucket")]),
        ])]))
        XCTAssertEqual(try Catalog(parsing: Array(store.text("good", "images.json")!.utf8)).names, ["a.png"])
    }

    func testSkippedKeysAreLoggedForSQSDeliveryToo() throws {
        let lines = LogLines()
        store.put("b", "notes.png", "text, whatever the name says")
        var updater = CatalogUpdater(store: store, catalogKey: "images.json")
        updater.sleepMs = { _ in }
        let handler = CatalogHandler(updater: updater, telemetry: HandlerTelemetry(log: lines.log))
        let body = String(decoding: JSONValue.object(["Records": .array([s3Record("b", "notes.png")])]).serialized(), as: UTF8.self)
        let event = JSONValue.object(["Records": .array([sqsMessage("m1", body)])])
        let answer = try JSONValue(parsing: handler.handle(event.serialized(), context: context))
        XCTAssertEqual(answer, .object(["batchItemFailures": .array([])]))
        let skips = lines.records.filter { $0.level >= .info }
        XCTAssertEqual(skips.count, 1)
        XCTAssertTrue(skips[0].message.hasPrefix("skipped notes.png: not an image: "), skips[0].message)
        XCTAssertEqual(skips[0].level, .info, "a non-image is no cause for concern")
        XCTAssertEqual(skips[0].requestID, "req-1")
        XCTAssertEqual(skips[0].fields["key"], .string("notes.png"))
        XCTAssertEqual(skips[0].fields["skip"], .string("notImage"))
    }

    /// Under SQS only messages that truly failed come back: a key S3 refuses for good is skipped
    /// (logged, in no failure), a key whose read failed in a retryable way fails its bucket.
    func testSQSListsOnlyTrulyFailedMessages() throws {
        let lines = LogLines()
        store.put("b", "a.png", bytes: MemoryStore.png(width: 3, height: 2))
        store.put("b", "archived.png", bytes: MemoryStore.png(width: 3, height: 2))
        store.put("c", "slow.png", bytes: MemoryStore.png(width: 3, height: 2))
        store.rangeErrors[ExactKey("archived.png")] = KeyReadError(S3Error(
            operation: "GetObject", bucket: "b", key: "archived.png",
            kind: .service(status: 403, code: "InvalidObjectState", message: "The operation is not valid for the object's storage class", requestId: nil)))
        store.rangeErrors[ExactKey("slow.png")] = KeyReadError(S3Error(
            operation: "GetObject", bucket: "c", key: "slow.png",
            kind: .service(status: 503, code: "SlowDown", message: "", requestId: nil)))
        let answer = try sqsBatch([("m-good", "b", "a.png"), ("m-archived", "b", "archived.png"), ("m-slow", "c", "slow.png")],
                                  logTo: lines)
        XCTAssertEqual(answer, .object(["batchItemFailures": .array([.object(["itemIdentifier": .string("m-slow")])])]))
        XCTAssertEqual(try Catalog(parsing: Array(store.text("b", "images.json")!.utf8)).names, ["a.png"])
        let refused = lines.records.first { $0.message.hasPrefix("skipped archived.png: S3 refuses it: GetObject s3://b/archived.png: 403 InvalidObjectState") }
        XCTAssertEqual(refused?.level, .warn, "\(lines.lines)")
        XCTAssertEqual(refused?.requestID, "req-1")
        let failed = lines.records.first { $0.level == .error }
        XCTAssertEqual(failed?.fields["bucket"], .string("c"), "the failed bucket is logged as an error: \(lines.lines)")
        XCTAssertEqual(failed?.fields["errorType"], .string("Function.StorageError"))
    }

    /// A read that fails for one key alone (a 5xx past the client's retries) hands back that
    /// key's message only; the bucket's other keys are written. It failed the whole bucket, and
    /// a key that always fails (an object a server cannot serve) took its batch-mates to the
    /// dead-letter queue with it. When every key of a bucket fails, the bucket does (S3 down).
    func testSQSHandsBackOnlyTheMessageOfAKeyWhoseReadFailedAlone() throws {
        let lines = LogLines()
        store.put("b", "a.png", bytes: MemoryStore.png(width: 3, height: 2))
        store.put("b", "broken.png", bytes: MemoryStore.png(width: 3, height: 2))
        store.put("c", "down.png", bytes: MemoryStore.png(width: 3, height: 2))
        for (bucket, key) in [("b", "broken.png"), ("c", "down.png")] {
            store.rangeErrors[ExactKey(key)] = KeyReadError(S3Error(
                operation: "GetObject", bucket: bucket, key: key, kind: .service(status: 500, code: "InternalError", message: "", requestId: nil)))
        }
        let answer = try sqsBatch([("m-good", "b", "a.png"), ("m-broken", "b", "broken.png"), ("m-down", "c", "down.png")],
                                  logTo: lines)
        XCTAssertEqual(answer, .object(["batchItemFailures": .array([
            .object(["itemIdentifier": .string("m-broken")]), .object(["itemIdentifier": .string("m-down")]),
        ])]))
        XCTAssertEqual(try Catalog(parsing: Array(store.text("b", "images.json")!.utf8)).names, ["a.png"])
        XCTAssertNil(store.text("c", "images.json"))
        let errors = lines.records.filter { $0.level == .error }
        XCTAssertEqual(errors.map { $0.fields["key"] }, [.string("broken.png"), nil], "\(lines.lines)")
        XCTAssertTrue(errors[0].message.hasPrefix("s3://b/broken.png: not cataloged, its record comes back: "), errors[0].message)
        XCTAssertTrue(errors[0].message.contains("500 InternalError"), errors[0].message)
    }

    /// Direct delivery: a key whose read failed alone fails the invocation (Lambda retries the
    /// event), after the bucket's other keys were written.
    func testDirectDeliveryFailsOnAKeyWhoseReadFailedAloneAfterWritingTheRest() throws {
        store.put("b", "a.png", bytes: MemoryStore.png(width: 3, height: 2))
        store.put("b", "broken.png", bytes: MemoryStore.png(width: 3, height: 2))
        store.rangeErrors[ExactKey("broken.png")] = KeyReadError(S3Error(
            operation: "GetObject", bucket: "b", key: "broken.png", kind: .service(status: 503, code: "SlowDown", message: "", requestId: nil)))
        XCTAssertThrowsError(try invoke(.object(["Records": .array([s3Record("b", "a.png"), s3Record("b", "broken.png")])]))) { error in
            XCTAssertEqual((error as? LambdaError)?.errorType, "Function.StorageError")
            XCTAssertTrue("\(error)".contains("broken.png"), "\(error)")
        }
        XCTAssertEqual(try Catalog(parsing: Array(XCTUnwrap(store.text("b", "images.json")).utf8)).names, ["a.png"])
    }

    /// A key carried for another writer (its handover) whose read fails here is no record of
    /// this invocation: left for the reconcile, it fails nothing here (direct delivery retried
    /// the whole event for it, and the log said a record would come back).
    func testAFailedReadOfAKeyCarriedForAnotherWriterFailsNothingHere() throws {
        try store.preloadImages(300)
        let key = MemoryStore.imageKey
        store.put("b", key(301), bytes: MemoryStore.png(width: 4, height: 4))
        _ = try store.tinyUpdater().sync(bucket: "b", keys: [key(301)])
        let stale = ObservedKey(key: key(301), version: ObjectVersion(etag: "an-older-upload", lastModified: nil),
                                entry: CatalogEntry(name: key(301), type: "png", size: 1, extra: ["etag": .string("an-older-upload")]))
        store.put("b", Handover.key(catalog: "images.json", atMs: SystemClock.epochMilliseconds(), nonce: 1),
                  bytes: Handover([stale]).serialized())
        store.put("b", key(302), bytes: MemoryStore.png(width: 5, height: 5))
        store.rangeErrors[ExactKey(key(301))] = KeyReadError(S3Error(
            operation: "GetObject", bucket: "b", key: key(301), kind: .service(status: 500, code: "InternalError", message: "", requestId: nil)))
        let lines = LogLines()
        let handler = CatalogHandler(updater: store.tinyUpdater(), telemetry: HandlerTelemetry(log: lines.log))
        let answer = try JSONValue(parsing: handler.handle(JSONValue.object(["Records": .array([s3Record("b", key(302))])]).serialized(),
                                                           context: context))
        XCTAssertEqual(answer["added"]?.int64Value, 1, "\(answer)")
        XCTAssertEqual(lines.records.filter { $0.level == .error }.map(\.message), [])
        let state = ReconcileState(parsing: try XCTUnwrap(store.object("b", "images.json.reconcile")).bytes)
        XCTAssertEqual(state.suspects, [key(301)])
    }

    func testKeysThatDifferOnlyInNormalizationAreBothApplied() throws {
        let composed = "caf\u{E9}.png", decomposed = "cafe\u{301}.png"
        store.put("b", composed, bytes: MemoryStore.png(width: 1, height: 1))
        store.put("b", decomposed, bytes: MemoryStore.png(width: 2, height: 2))
        // Event keys are form-encoded: the two spellings as S3 would send them.
        let answer = try invoke(.object(["Records": .array([
            s3Record("b", "caf%C3%A9.png"), s3Record("b", "cafe%CC%81.png"), s3Record("b", "caf%C3%A9.png"),
        ])]))
        XCTAssertEqual(answer["added"]?.int64Value, 2)
        XCTAssertEqual(store.requests("RANGE").filter { !$0.contains("/images.json") }.count, 2)
    }

    func testTheReconcileStateObjectIsNotACatalogMatter() throws {
        let answer = try invoke(.object(["Records": .array([s3Record("b", "images.json.reconcile")])]))
        XCTAssertEqual(answer["skipped"]?.arrayValue?.first?["reason"]?.stringValue, "the reconcile's state object")
        XCTAssertTrue(store.requests.isEmpty)
    }

    func testAWaitingWritersHandoverIsNotACatalogMatter() throws {
        let answer = try invoke(.object(["Records": .array([s3Record("b", "images.json.waiting/1765000000000-beef")])]))
        XCTAssertEqual(answer["skipped"]?.arrayValue?.first?["reason"]?.stringValue, "changes a waiting writer handed over")
        XCTAssertTrue(store.requests.isEmpty)
    }

    func testNotJSONIsAnInvalidEvent() {
        XCTAssertThrowsError(try handler().handle(Array("{\"Records\": [".utf8), context: context)) {
            XCTAssertEqual(($0 as? LambdaError)?.errorType, "Function.InvalidEvent")
            XCTAssertTrue("\($0)".hasPrefix("event is not JSON: line 1"), "\($0)")
        }
    }
}
