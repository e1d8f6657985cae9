import Storage
import Basics
import Catalog
import JSON
import LambdaRuntime
import XCTest
import TestSupport
@testable import CatalogSync
@testable import Handlers

/// S3's `s3:TestEvent` invoked directly (no SQS around it): it must succeed and touch nothing.
final class CatalogHandlerTestEventTests: XCTestCase {
    func testBareTestEventSucceedsAndChangesNothing() throws {
        let store = MemoryStore()
        store.put("example-bucket", "images.json", "[]")
        var updater = CatalogUpdater(store: store, catalogKey: "images.json")
        updater.sleepMs = { _ in }
        let handler = CatalogHandler(updater: updater)
        let context = InvocationContext(requestID: "req-t", deadline: nil, invokedFunctionARN: "arn:aws:lambda:us-east-1:1:function:f")
        store.requests.removeAll()
        let event = #"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-25T12:00:00.000Z","Bucket":"example-bucket","RequestId":"5582815E1AEA5ADF","HostId":"8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}"#
        let answer = try JSONValue(parsing: handler.handle(Array(event.utf8), context: context))
        XCTAssertEqual(answer["records"]?.int64Value, 1)
        XCTAssertEqual(answer["catalogWrites"]?.int64Value, 0)
        XCTAssertEqual(answer["skipped"]?.arrayValue?.first?["reason"]?.stringValue?.hasPrefix("s3:TestEvent"), true)
        XCTAssertEqual(store.requests, [], "a test event must not read or write S3")
        XCTAssertEqual(store.text("example-bucket", "images.json"), "[]")
    }
}
