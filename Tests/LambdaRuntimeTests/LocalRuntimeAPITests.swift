import Foundation
import HTTPClient
import JSON
import LambdaRuntime
import XCTest
import Basics
import TestSupport

/// The loop, in this process, over the real CurlTransport, against `scripts/local_runtime_api.py`.
final class LocalRuntimeAPITests: XCTestCase {
    /// Answers with what the runtime gave it, so the test sees the context from the inside.
    /// `{"fail": "Function.Xxx"}` throws a LambdaError of that type instead.
    struct InspectingHandler: LambdaHandler {
        func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8] {
            let value = try JSONValue(parsing: event)
            if let type = value["fail"]?.stringValue {
                throw TypedError(errorType: type, errorMessage: "asked to fail with \(type)")
            }
            let trace = getenv("_X_AMZN_TRACE_ID").map { String(cString: $0) }
            return JSONValue.object([
                "requestID": .string(context.requestID),
                "deadlineMs": context.deadline.map { .int($0.epochMilliseconds) } ?? .null,
                "nowMs": .int(SystemClock.epochMilliseconds()),
                "arn": .string(context.invokedFunctionARN),
                "traceID": context.traceID.map(JSONValue.string) ?? .null,
                "traceEnv": trace.map(JSONValue.string) ?? .null,
                "event": value,
            ]).serialized()
        }
    }

    private func runLoop(_ server: LocalRuntimeAPIProcess, log: LogLines = LogLines()) -> LambdaRuntimeError? {
        let loop = LambdaLoop(runtimeAPI: server.address, transport: CurlTransport(), log: log.log)
        do {
            try loop.run(InspectingHandler())
        } catch {
            return error
        }
    }

    private func json(_ text: Any?) throws -> [String: Any] {
        let data = Data(try XCTUnwrap(text as? String).utf8)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testResponsesErrorsAndContextOverOneRun() throws {
        let server = try LocalRuntimeAPIProcess(
            events: [#"{"n":1}"#, #"{"fail":"Function.InvalidEvent"}"#, #"{"n":3}"#], arguments: ["--timeout", "5"])
        let log = LogLines()
        let started = SystemClock.epochMilliseconds()
        let stop = runLoop(server, log: log)
        let lines = server.finish()

        // The server exited once all three were answered: /next then failed at the transport.
        guard case .transport("/next", _) = stop else { return XCTFail("loop stopped with \(String(describing: stop))") }
        let results = lines.results
        XCTAssertEqual(results.map { $0["kind"] as? String }, ["response", "error", "response"])

        let first = try json(results[0]["body"])
        XCTAssertEqual(first["requestID"] as? String, results[0]["id"] as? String)
        XCTAssertEqual((first["event"] as? [String: Any])?["n"] as? Int, 1)
        let trace = try XCTUnwrap(first["traceID"] as? String)
        XCTAssertTrue(trace.hasPrefix("Root=1-"), trace)
        XCTAssertEqual(first["traceEnv"] as? String, trace, "_X_AMZN_TRACE_ID must be the invocation's trace header")
        XCTAssertEqual(first["arn"] as? String, "arn:aws:lambda:us-east-1:123456789012:function:imagecat-local")
        let deadline = try XCTUnwrap(first["deadlineMs"] as? Int64)
        let now = try XCTUnwrap(first["nowMs"] as? Int64)
        XCTAssertGreaterThanOrEqual(deadline, started + 4_000, "the 5 s function timeout sets the deadline")
        XCTAssertLessThanOrEqual(deadline, now + 5_000)

        XCTAssertEqual(results[1]["error_type"] as? String, "Function.InvalidEvent")
        let error = try json(results[1]["body"])
        XCTAssertEqual(error["errorType"] as? String, "Function.InvalidEvent")
        XCTAssertEqual(error["errorMessage"] as? String, "asked to fail with Function.InvalidEvent")
        XCTAssertEqual((error["stackTrace"] as? [Any])?.count, 0)

        let third = try json(results[2]["body"])
        XCTAssertNotEqual(third["traceID"] as? String, trace, "each invocation has its own trace")
        XCTAssertEqual(third["traceEnv"] as? String, third["traceID"] as? String)

        XCTAssertEqual(log.lines.first, "invocation failed: Function.InvalidEvent: asked to fail with Function.InvalidEvent")
        XCTAssertEqual(log.records.first?.requestID, results[1]["id"] as? String)
        XCTAssertEqual(lines.last?["done"] as? Bool, true)
    }

    func testNoTraceHeaderClearsTraceEnvironment() throws {
        setenv("_X_AMZN_TRACE_ID", "left-over", 1)
        let server = try LocalRuntimeAPIProcess(events: [#"{"n":1}"#], arguments: ["--no-trace"])
        _ = runLoop(server)
        let results = server.finish().results
        let body = try json(results.first?["body"])
        XCTAssertTrue(body["traceID"] is NSNull)
        XCTAssertTrue(body["traceEnv"] is NSNull, "a trace id must not leak from before")
    }

    func testInvalidErrorTypeWouldBecomeRuntimeUnknownSoTheLoopReplacesIt() throws {
        let server = try LocalRuntimeAPIProcess(events: [#"{"fail":"Function.S3Error"}"#])
        _ = runLoop(server)
        let results = server.finish().results
        XCTAssertEqual(results.first?["error_type"] as? String, "Function.UnhandledError")
        XCTAssertEqual(try json(results.first?["body"])["errorMessage"] as? String,
                       "Function.S3Error: asked to fail with Function.S3Error")
    }

    func testInitErrorReachesInitEndpoint() throws {
        let server = try LocalRuntimeAPIProcess(events: ["{}"])
        let loop = LambdaLoop(runtimeAPI: server.address, transport: CurlTransport(), log: LogLines().log)
        XCTAssertTrue(loop.reportInitError(TypedError(errorType: "Runtime.InvalidHandler", errorMessage: "no such handler")))
        let lines = server.finish(terminate: true)
        let initErrors = lines.kind("init_error")
        XCTAssertEqual(initErrors.count, 1)
        XCTAssertEqual(initErrors.first?["error_type"] as? String, "Runtime.InvalidHandler")
        XCTAssertEqual(try json(initErrors.first?["body"])["errorMessage"] as? String, "no such handler")
    }

    func testServerErrorFromAPIStopsTheLoop() throws {
        let server = try LocalRuntimeAPIProcess(events: [#"{"n":1}"#, #"{"n":2}"#], arguments: ["--inject", "response:500"])
        let stop = runLoop(server)
        let lines = server.finish(terminate: true)
        guard case .serverError("/response", _, 500, _) = stop else {
            return XCTFail("loop stopped with \(String(describing: stop))")
        }
        XCTAssertEqual(lines.kind("rejected").first?["status"] as? Int, 500)
        XCTAssertTrue(lines.filter { $0["kind"] as? String == "response" }.isEmpty, "nothing served after the 500")
    }

    func testRejectedResponseIsLoggedAndTheLoopGoesOn() throws {
        let server = try LocalRuntimeAPIProcess(events: [#"{"n":1}"#, #"{"n":2}"#],
                                                arguments: ["--inject", "response:400", "--timeout", "1"])
        let log = LogLines()
        let stop = runLoop(server, log: log)
        let lines = server.finish()
        guard case .transport("/next", _) = stop else { return XCTFail("loop stopped with \(String(describing: stop))") }
        let results = lines.results
        // The first response was refused: Lambda then times the invocation out.
        XCTAssertEqual(Set(results.map { $0["kind"] as? String }), ["timeout", "response"])
        XCTAssertEqual(log.lines.count, 1)
        XCTAssertTrue(log.lines[0].contains("Runtime API answered 400 to /response"), log.lines[0])
    }
}
