import JSON
import Telemetry
import XCTest

/// What reaches standard output: one document per invocation, the cold start's once, and in
/// JSON log format the level and timestamp Lambda's filter needs.
final class MetricsEmitterTests: XCTestCase {
    final class Box: @unchecked Sendable { var lines: [String] = [] }

    private func emitter(_ format: LogFormat, level: LogLevel = .info) -> (MetricsEmitter, Box) {
        let box = Box()
        let emitter = MetricsEmitter(namespace: "imagecat", dimensions: [("FunctionName", "f"), ("Handler", "catalog")],
                                     format: format, logLevel: level, nowMs: { 1_800_000_000_042 }, write: { [box] in box.lines.append($0) })
        return (emitter, box)
    }

    func testColdStartDocumentComesOnceWithTheFirstInvocation() throws {
        let (metrics, box) = emitter(.text)
        for id in ["r1", "r2"] {
            var document = metrics.document()
            document.count("RecordsReceived")
            metrics.emit(document, requestID: id)
        }
        XCTAssertEqual(box.lines.count, 3)
        let first = try JSONValue(parsing: Array(box.lines[0].utf8))
        XCTAssertEqual(first["ColdStart"], .int(1))
        XCTAssertEqual(first["requestId"], .string("r1"))
        XCTAssertEqual(try JSONValue(parsing: Array(box.lines[2].utf8))["requestId"], .string("r2"))
        XCTAssertFalse(box.lines[1].contains("ColdStart") || box.lines[2].contains("ColdStart"))
        XCTAssertNil(first["level"], "text format: Lambda filters nothing, so no level")
    }

    func testJSONFormatStampsLevelAndTimestampSoLambdaKeepsTheDocument() throws {
        for (configured, stamped) in [(LogLevel.debug, "INFO"), (.info, "INFO"), (.warn, "WARN"), (.fatal, "FATAL")] {
            let (metrics, box) = emitter(.json, level: configured)
            var document = metrics.document()
            document.count("Requests")
            metrics.emit(document, requestID: "r")
            for line in box.lines {
                let root = try JSONValue(parsing: Array(line.utf8))
                XCTAssertEqual(root["level"], .string(stamped), "\(configured)")
                XCTAssertEqual(root["timestamp"], .string("2027-01-15T08:00:00.042Z"))
                XCTAssertEqual(root["_aws"]?["Timestamp"], .int(1_800_000_000_042))
            }
        }
    }
}
