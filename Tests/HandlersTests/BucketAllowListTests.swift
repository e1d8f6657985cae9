import Storage
import Basics
import Catalog
import JSON
import LambdaRuntime
import S3Events
import XCTest
import TestSupport
@testable import CatalogSync
@testable import Handlers

/// The catalog function applies notifications only for the bucket(s) it was deployed for.
final class BucketAllowListTests: XCTestCase {
    func testReadFromTheEnvironment() throws {
        XCTAssertEqual(try BucketAllowList(Environment([:])), .any)
        XCTAssertEqual(try BucketAllowList(Environment(["CATALOG_BUCKET": ""])), .any)
        XCTAssertEqual(try BucketAllowList(Environment(["CATALOG_BUCKET": "mine"])).buckets, ["mine"])
        XCTAssertEqual(try BucketAllowList(Environment(["CATALOG_BUCKET": " photos-bucket "])).buckets, ["photos-bucket"])
        XCTAssertEqual(try BucketAllowList(Environment(["CATALOG_BUCKETS": " abc , b.c_d,,", "CATALOG_BUCKET": "c"])).buckets,
                       ["abc", "b.c_d"])
    }

    /// A value that cannot name a bucket would leave every notification ignored (names compare
    /// byte for byte), and a list that names none would serve every bucket: both stop the
    /// start-up, naming the variable.
    func testWhatNamesNoBucketStopsTheStartUp() {
        for (environment, variable) in [(["CATALOG_BUCKETS": " , "], "CATALOG_BUCKETS"),
                                        (["CATALOG_BUCKETS": ",", "CATALOG_BUCKET": "mine"], "CATALOG_BUCKETS"),
                                        (["CATALOG_BUCKETS": "arn:aws:s3:::photos"], "CATALOG_BUCKETS"),
                                        (["CATALOG_BUCKET": "s3://photos"], "CATALOG_BUCKET"),
                                        (["CATALOG_BUCKET": "my photos"], "CATALOG_BUCKET"),
                                        (["CATALOG_BUCKET": "ab"], "CATALOG_BUCKET"),
                                        (["CATALOG_BUCKET": "-photos"], "CATALOG_BUCKET")] {
            XCTAssertThrowsError(try BucketAllowList(Environment(environment)), "\(environment)") { error in
                XCTAssertEqual((error as? ConfigurationError)?.variable, variable)
            }
        }
    }

    func testNamesCompareByteForByte() {
        let list = BucketAllowList(["caf\u{E9}"])
        XCTAssertTrue(list.admits("caf\u{E9}"))
        XCTAssertFalse(list.admits("cafe\u{301}"), "canonically equivalent is not the same bucket name")
        XCTAssertFalse(list.admits("Caf\u{E9}"))
        XCTAssertTrue(BucketAllowList.any.admits("anything"))
    }

    func testScreenTurnsForeignChangesIntoIgnoredRecords() {
        let mine = ObjectNotification(bucket: "mine", key: "a.png", kind: .created, eventName: "ObjectCreated:Put")
        let other = ObjectNotification(bucket: "other", key: "b.png", kind: .removed, eventName: "ObjectRemoved:Delete")
        let list = BucketAllowList(["mine"])
        var notServed: [ObjectNotification] = []
        XCTAssertEqual(list.screen(.s3(records: [.change(mine), .change(other)]), notServed: &notServed), .s3(records: [
            .change(mine), .ignored(key: "b.png", reason: "bucket other is not the one this function serves (mine)")]))
        guard case .eventBridge(.ignored("b.png", _)) = list.screen(.eventBridge(.change(other)), notServed: &notServed) else {
            return XCTFail("EventBridge record for another bucket was not ignored")
        }
        XCTAssertEqual(notServed, [other, other])
        XCTAssertEqual(BucketAllowList.any.screen(.s3(records: [.change(other)]), notServed: &notServed), .s3(records: [.change(other)]))
        XCTAssertEqual(notServed.count, 2)
    }

    func handler(_ store: MemoryStore, buckets: BucketAllowList) -> CatalogHandler {
        var updater = CatalogUpdater(store: store, catalogKey: "images.json")
        updater.sleepMs = { _ in }
        var handler = CatalogHandler(updater: updater)
        handler.buckets = buckets
        return handler
    }

    let context = InvocationContext(requestID: "req-b", deadline: nil, invokedFunctionARN: "arn:aws:lambda:us-east-1:1:function:f")

    func record(_ bucket: String, _ key: String) -> String {
        #"{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"\#(bucket)"},"object":{"key":"\#(key)"}}}"#
    }

    func testHandlerSkipsOtherBucketsWithAReasonAndTouchesNothingThere() throws {
        let store = MemoryStore()
        store.put("mine", "a.png", bytes: MemoryStore.png(width: 3, height: 2))
        store.put("other", "b.png", bytes: MemoryStore.png(width: 3, height: 2))
        let event = #"{"Records":[\#(record("mine", "a.png")),\#(record("other", "b.png"))]}"#
        let answer = try JSONValue(parsing: handler(store, buckets: BucketAllowList(["mine"])).handle(Array(event.utf8), context: context))
        XCTAssertEqual(answer["added"]?.int64Value, 1)
        XCTAssertEqual(answer["skipped"]?.arrayValue?.map { $0["key"]?.stringValue }, ["b.png"])
        XCTAssertEqual(answer["skipped"]?.arrayValue?.first?["reason"]?.stringValue,
                       "bucket other is not the one this function serves (mine)")
        XCTAssertNotNil(store.text("mine", "images.json"))
        XCTAssertNil(store.text("other", "images.json"))
        XCTAssertFalse(store.requests.contains { $0.contains("other/") }, "\(store.requests)")
    }

    func testSQSMessagesForOtherBucketsAreDoneNotRetried() throws {
        let store = MemoryStore()
        store.put("mine", "a.png", bytes: MemoryStore.png(width: 3, height: 2))
        func message(_ id: String, _ body: String) -> JSONValue {
            .object(["eventSource": .string("aws:sqs"), "messageId": .string(id), "body": .string(body)])
        }
        let event = JSONValue.object(["Records": .array([
            message("m-mine", #"{"Records":[\#(record("mine", "a.png"))]}"#),
            message("m-other", #"{"Records":[\#(record("other", "b.png"))]}"#),
        ])])
        let answer = try JSONValue(parsing: handler(store, buckets: BucketAllowList(["mine"])).handle(event.serialized(), context: context))
        XCTAssertEqual(answer, .object(["batchItemFailures": .array([])]))
        XCTAssertNil(store.text("other", "images.json"))
    }

    func testRegistryWiresTheConfiguredBucket() throws {
        let environment = Environment(["_HANDLER": "catalog", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret",
                                       "AWS_REGION": "us-east-1", "CATALOG_BUCKET": "mine"])
        let made = try XCTUnwrap(try HandlerRegistry.make(environment: environment) as? CatalogHandler)
        XCTAssertEqual(made.buckets, BucketAllowList(["mine"]))
        XCTAssertEqual(try CatalogConfiguration(environment).buckets.buckets, ["mine"])
    }
}
