import JSON
import LambdaRuntime
import XCTest
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

final class ErrorReportTests: XCTestCase {
    func testErrorTypeValidationMatchesLambdasPattern() {
        for valid in ["Function.InvalidEvent", "Runtime.InvalidHandler", "Function.Ab", "Runtime.ExitError"] {
            XCTAssertTrue(ErrorReport.isValidErrorType(valid), valid)
        }
        for invalid in ["", "Function.", "Function.A", "Function.invalid", "Function.S3Error", "Function.Bad_Type",
                        "Function.Foo.Bar", "Custom.Thing", "InvalidEvent", "function.InvalidEvent", "Runtime.Ünicode"] {
            XCTAssertFalse(ErrorReport.isValidErrorType(invalid), invalid)
        }
    }

    func testBodyIsLambdasErrorShapeWithEscapedMessage() throws {
        let report = ErrorReport(errorType: "Function.InvalidEvent", errorMessage: "line1\nline2 \"quoted\" \\ tab\t")
        XCTAssertEqual(String(decoding: report.jsonBody(), as: UTF8.self),
                       #"{"errorMessage":"line1\nline2 \"quoted\" \\ tab\t","errorType":"Function.InvalidEvent","stackTrace":[]}"#)
        XCTAssertEqual(try JSONValue(parsing: report.jsonBody())["errorMessage"], .string("line1\nline2 \"quoted\" \\ tab\t"))
    }

    /// What the loop posts to `/error` for a handler's `LambdaError`: its own type, in the header
    /// and the body, and its message, checked on the wire rather than against another report.
    func testLambdaErrorKeepsItsTypeAndMessage() throws {
        let transport = ScriptedTransport([ScriptedTransport.invocation("{}", id: "req-e"), ScriptedTransport.accepted])
        let handler = ThrowingHandler(error: TypedError(errorType: "Function.CatalogConflict", errorMessage: "contended \"x\""))
        try LambdaLoop(runtimeAPI: "127.0.0.1:9001", transport: transport, log: LogLines().log).runOnce(handler)
        let post = try XCTUnwrap(transport.requests.last)
        XCTAssertEqual(post.url, "http://127.0.0.1:9001/2018-06-01/runtime/invocation/req-e/error")
        XCTAssertEqual(post.header("Lambda-Runtime-Function-Error-Type"), "Function.CatalogConflict")
        let body = try JSONValue(parsing: Array(post.bodyText.utf8))
        XCTAssertEqual(body["errorType"], .string("Function.CatalogConflict"))
        XCTAssertEqual(body["errorMessage"], .string("contended \"x\""))
        XCTAssertEqual(body["stackTrace"], .array([]))
    }

    /// A type Lambda would replace with `Runtime.Unknown` keeps its information in the message.
    func testInvalidTypeIsReportedAsUnhandledWithTheTypeInTheMessage() {
        let report = ErrorReport(TypedError(errorType: "Function.S3Error", errorMessage: "boom"))
        XCTAssertEqual(report.errorType, "Function.UnhandledError")
        XCTAssertEqual(report.errorMessage, "Function.S3Error: boom")
    }

    func testResponseSizeTooLargeMessage() {
        let report = ErrorReport(ResponseSizeTooLarge(size: 7_000_000, limit: 6_291_456))
        XCTAssertEqual(report.errorType, "Function.ResponseSizeTooLarge")
        XCTAssertEqual(report.errorMessage, "response is 7000000 bytes, over Lambda's limit of 6291456 bytes")
    }
}

/// `Lambda-Runtime-Function-XRay-Error-Cause` on `/error`: X-Ray's cause object, ASCII only and
/// bounded, however long or exotic the message.
final class XRayErrorCauseTests: XCTestCase {
    func testErrorReportCarriesTheCauseHeader() throws {
        let transport = ScriptedTransport([ScriptedTransport.invocation("{}", id: "req-x"), ScriptedTransport.accepted])
        let handler = ThrowingHandler(error: TypedError(errorType: "Function.StorageError", errorMessage: "PUT s3://b/k: 503 SlowDown"))
        try LambdaLoop(runtimeAPI: "127.0.0.1:9001", transport: transport, log: LogLines().log).runOnce(handler)
        let header = try XCTUnwrap(transport.requests.last?.header("Lambda-Runtime-Function-XRay-Error-Cause"))
        let cause = try JSONValue(parsing: Array(header.utf8))
        XCTAssertEqual(cause["exceptions"], .array([.object([
            "type": .string("Function.StorageError"), "message": .string("PUT s3://b/k: 503 SlowDown"), "stack": .array([]),
        ])]))
        XCTAssertEqual(cause["paths"], .array([]))
        XCTAssertNotNil(cause["working_directory"]?.stringValue)
    }

    func testInitErrorsCarryNoCause() {
        let transport = ScriptedTransport([ScriptedTransport.accepted])
        LambdaLoop(runtimeAPI: "127.0.0.1:9001", transport: transport, log: LogLines().log)
            .reportInitError(TypedError(errorType: "Runtime.InvalidHandler", errorMessage: "x"))
        XCTAssertNil(transport.requests.first?.header("Lambda-Runtime-Function-XRay-Error-Cause"))
    }

    func testLongAndNonASCIIMessagesAreCutToTheBoundAndStayASCII() throws {
        let message = String(repeating: "café 🐈 \"q\"\n", count: 2000)
        let report = ErrorReport(errorType: "Function.CorruptCatalog", errorMessage: message)
        let header = report.xrayErrorCause()
        XCTAssertLessThanOrEqual(header.utf8.count, ErrorReport.maxXRayCauseBytes)
        XCTAssertGreaterThan(header.utf8.count, ErrorReport.maxXRayCauseBytes - 16, "the room is used")
        XCTAssertTrue(header.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, header)
        let parsed = try JSONValue(parsing: Array(header.utf8))
        let kept = try XCTUnwrap(parsed["exceptions"]?.arrayValue?.first?["message"]?.stringValue)
        XCTAssertTrue(kept.hasSuffix("…"), kept)
        XCTAssertTrue(message.hasPrefix(String(kept.dropLast())), "a prefix of the message, whole characters only")
        XCTAssertTrue(kept.contains("🐈"), "astral characters survive as surrogate pairs")
    }

    func testShortMessageIsKeptWhole() throws {
        let report = ErrorReport(errorType: "Function.InvalidEvent", errorMessage: "Records[0]: missing")
        let parsed = try JSONValue(parsing: Array(report.xrayErrorCause().utf8))
        XCTAssertEqual(parsed["exceptions"]?.arrayValue?.first?["message"], .string("Records[0]: missing"))
    }
}
