import JSON
import Telemetry
import TestSupport
import XCTest

/// The levelled logger in both formats: what a line looks like, what is filtered, how line
/// breaks and fields come out.
final class LoggerTests: XCTestCase {
    /// A logger writing lines in `format` into the returned box, at epoch 1_800_000_000_042 ms.
    private func capture(_ format: LogFormat, level: LogLevel = .info) -> (Logger, Box) {
        let box = Box()
        let logger = Logger(level: level, nowMs: { 1_800_000_000_042 }) { [box] in box.lines.append($0.line(format)) }
        return (logger, box)
    }

    final class Box: @unchecked Sendable { var lines: [String] = [] }

    func testTextLineIsTimestampRequestIdLevelMessage() {
        let (log, box) = capture(.text)
        log.with(requestID: "req-1").warn("skipped a.png: S3 refuses it", ["key": .string("a.png")])
        log.info("no request yet")
        XCTAssertEqual(box.lines, ["2027-01-15T08:00:00.042Z\treq-1\tWARN\tskipped a.png: S3 refuses it",
                                   "2027-01-15T08:00:00.042Z\t-\tINFO\tno request yet"])
    }

    func testJSONLineHasTheStandardKeysThenTheFields() throws {
        let (log, box) = capture(.json)
        log.with(requestID: "req-2").error("s3://b: Function.StorageError: 503",
                                           ["bucket": .string("b"), "errorType": .string("Function.StorageError"), "status": .int(503)])
        let line = try XCTUnwrap(box.lines.first)
        XCTAssertEqual(line, #"{"timestamp":"2027-01-15T08:00:00.042Z","level":"ERROR","message":"s3://b: Function.StorageError: 503","#
                       + #""requestId":"req-2","bucket":"b","errorType":"Function.StorageError","status":503}"#)
        let object = try XCTUnwrap(try JSONValue(parsing: Array(line.utf8)).objectValue)
        XCTAssertEqual(object.members.map(\.key), ["timestamp", "level", "message", "requestId", "bucket", "errorType", "status"])
    }

    func testJSONLineWithoutRequestHasNoRequestId() throws {
        let (log, box) = capture(.json)
        log.fatal("init failed")
        XCTAssertNil(try JSONValue(parsing: Array(box.lines[0].utf8))["requestId"])
    }

    func testFieldsCannotReplaceTheStandardKeys() throws {
        let (log, box) = capture(.json)
        log.with(requestID: "r").info("m", ["level": .string("FATAL"), "message": .string("forged"), "requestId": .string("x"),
                                            "timestamp": .string("0"), "key": .string("k")])
        let object = try XCTUnwrap(try JSONValue(parsing: Array(box.lines[0].utf8)).objectValue)
        XCTAssertEqual(object["level"], .string("INFO"))
        XCTAssertEqual(object["message"], .string("m"))
        XCTAssertEqual(object["requestId"], .string("r"))
        XCTAssertEqual(object.members.count, 5)
    }

    func testLineBreaksNeverSplitARecord() throws {
        let (text, textBox) = capture(.text)
        text.warn("first\nsecond\r\nthird")
        XCTAssertEqual(textBox.lines, ["2027-01-15T08:00:00.042Z\t-\tWARN\tfirst second  third"])
        let (json, jsonBox) = capture(.json)
        json.warn("first\nsecond\r\nthird", ["key": .string("a\nb")])
        XCTAssertFalse(jsonBox.lines[0].contains("\n") || jsonBox.lines[0].contains("\r"))
        let object = try JSONValue(parsing: Array(jsonBox.lines[0].utf8))
        XCTAssertEqual(object["message"], .string("first\nsecond\r\nthird"), "JSON keeps the message exactly, escaped")
        XCTAssertEqual(object["key"], .string("a\nb"))
    }

    func testLinesBelowTheLevelAreDroppedWithoutBuildingThem() {
        for format in [LogFormat.text, .json] {
            let (log, box) = capture(format, level: .warn)
            var built = 0
            func message(_ text: String) -> String { built += 1; return text }
            log.trace(message("t"))
            log.debug(message("d"))
            log.info(message("i"))
            log.warn(message("w"))
            log.error(message("e"))
            log.fatal(message("f"))
            XCTAssertEqual(box.lines.count, 3)
            XCTAssertEqual(built, 3, "a filtered line's message is never built")
            XCTAssertTrue(box.lines[0].contains("WARN") && box.lines[2].contains("FATAL"), "\(box.lines)")
        }
    }

    func testEveryLevelFiltersAsLambdaDoes() {
        for threshold in LogLevel.allCases {
            let (log, box) = capture(.json, level: threshold)
            for level in LogLevel.allCases { log.log(level, level.name) }
            XCTAssertEqual(box.lines.count, LogLevel.allCases.count - threshold.rawValue, threshold.name)
        }
    }

    func testLevelAndFormatNamesParseInAnyCase() {
        XCTAssertEqual(LogLevel(name: "warn"), .warn)
        XCTAssertEqual(LogLevel(name: "WARNING"), .warn)
        XCTAssertEqual(LogLevel(name: "Trace"), .trace)
        XCTAssertEqual(LogLevel(name: "FATAL"), .fatal)
        XCTAssertNil(LogLevel(name: "verbose"))
        XCTAssertNil(LogLevel(name: ""))
        XCTAssertEqual(LogFormat(name: "JSON"), .json)
        XCTAssertEqual(LogFormat(name: "Text"), .text)
        XCTAssertNil(LogFormat(name: "xml"))
    }

    func testRecordsKeepTheirFieldsForTests() {
        let lines = LogLines()
        lines.log.with(requestID: "r").info("skipped k", ["key": .string("k")])
        XCTAssertEqual(lines.records.first?.fields["key"], .string("k"))
        XCTAssertEqual(lines.records.first?.requestID, "r")
    }
}
