import Storage
import Basics
import CatalogSync
import JSON
import LambdaRuntime
import TestSupport
import XCTest
@testable import Handlers

final class ReconcileHandlerTests: XCTestCase {
    func testHandlerAnswersWithCounts() throws {
        let store = MemoryStore()
        store.put("b", "a.png", bytes: MemoryStore.png(width: 1, height: 1))
        let handler = ReconcileHandler(updater: CatalogUpdater(store: store, catalogKey: "images.json"), bucket: "b")
        let context = InvocationContext(requestID: "r", deadline: nil, invokedFunctionARN: "arn")
        let answer = try JSONValue(parsing: handler.handle(Array("{}".utf8), context: context))
        XCTAssertEqual(answer["bucket"]?.stringValue, "b")
        XCTAssertEqual(answer["added"]?.int64Value, 1)
        XCTAssertNil(answer["records"])
        // The whole listing was walked: the next run starts a new pass.
        XCTAssertEqual(answer["complete"], .bool(true))
        XCTAssertEqual(answer["remembered"]?.int64Value, 0)
        let during = store.settled                           // after each write of the walk
        handler.afterAnswer()
        XCTAssertEqual(store.settled, during + 1)
    }

    /// The run ends by the work deadline; its clean-up after the answer may use the margin.
    func testTheCleanUpAfterTheAnswerMayUseTheReportMargin() throws {
        let store = MemoryStore()
        let handler = ReconcileHandler(updater: CatalogUpdater(store: store, catalogKey: "images.json"), bucket: "b")
        let lambda = Deadline.after(milliseconds: 60_000)
        _ = try handler.handle(Array("{}".utf8), context: InvocationContext(requestID: "r", deadline: lambda, invokedFunctionARN: "arn"))
        XCTAssertEqual(store.deadline, lambda)
    }

    func testReconcileNeedsABucket() {
        let environment: Environment = ["_HANDLER": "reconcile", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s"]
        XCTAssertThrowsError(try HandlerRegistry.make(environment: environment)) {
            XCTAssertEqual("\($0)", "handler \"reconcile\" is misconfigured: CATALOG_BUCKET is not set: it names the bucket whose catalog is reconciled")
        }
    }

    func testCatalogErrorsAreReportedWithTheirLambdaType() {
        let errors: [(CatalogUpdateError, String)] = [
            (.contended(bucket: "b", key: "images.json", attempts: 3), "Function.CatalogConflict"),
            (.storage(bucket: "b", underlying: EventError("x", "y")), "Function.StorageError"),
        ]
        for (error, type) in errors {
            XCTAssertEqual(error.errorType, type)
            XCTAssertEqual(error.errorMessage, error.description)
        }
        XCTAssertEqual(EventError("Records[0]", "missing").errorType, "Function.InvalidEvent")
    }
}
