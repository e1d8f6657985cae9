import Basics
import HTTPClient
import JSON
import LambdaRuntime
import XCTest
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The loop against a scripted Runtime API: exact requests, status handling, error reports.
final class LambdaLoopTests: XCTestCase {
    let api = "127.0.0.1:9001"
    let base = "http://127.0.0.1:9001/2018-06-01/runtime"

    private func loop(_ transport: ScriptedTransport, _ log: LogLines = LogLines()) -> LambdaLoop {
        LambdaLoop(runtimeAPI: api, transport: transport, log: log.log)
    }

    func testSuccessPostsHandlerOutputAsResponse() throws {
        let transport = ScriptedTransport([ScriptedTransport.invocation(#"{"a":1}"#, id: "req-1"), ScriptedTransport.accepted])
        try loop(transport).runOnce(EchoHandler())

        XCTAssertEqual(transport.requests.count, 2)
        let next = transport.requests[0]
        XCTAssertEqual(next.method, "GET")
        XCTAssertEqual(next.url, "\(base)/invocation/next")
        XCTAssertNil(next.timeoutMs, "the /next long poll must never time out")
        let response = transport.requests[1]
        XCTAssertEqual(response.method, "POST")
        XCTAssertEqual(response.url, "\(base)/invocation/req-1/response")
        XCTAssertEqual(response.bodyText, #"{"a":1}"#)
        XCTAssertNil(response.timeoutMs)
    }

    /// What needs no answer runs once the response (or the error) is posted, before the next
    /// `/next`: the caller does not wait for it.
    func testAfterAnswerRunsOnceTheOutcomeIsPostedBeforeTheNextInvocation() throws {
        final class Cleaning: LambdaHandler, @unchecked Sendable {
            let transport: ScriptedTransport
            var seenAtCleanUp: [[String]] = []
            init(_ transport: ScriptedTransport) { self.transport = transport }
            func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8] {
                if context.requestID == "bad" { throw PlainError.broken(code: 1) }
                return event
            }
            func afterAnswer() { seenAtCleanUp.append(transport.requests.map(\.url)) }
        }
        let transport = ScriptedTransport([
            ScriptedTransport.invocation("{}", id: "good"), ScriptedTransport.accepted,
            ScriptedTransport.invocation("{}", id: "bad"), ScriptedTransport.accepted,
        ])
        let handler = Cleaning(transport)
        try loop(transport).runOnce(handler)
        try loop(transport).runOnce(handler)
        XCTAssertEqual(handler.seenAtCleanUp, [
            ["\(base)/invocation/next", "\(base)/invocation/good/response"],
            ["\(base)/invocation/next", "\(base)/invocation/good/response", "\(base)/invocation/next", "\(base)/invocation/bad/error"],
        ])
    }

    func testContextComesFromNextHeaders() throws {
        final class Capture: LambdaHandler, @unchecked Sendable {
            var context: InvocationContext?
            func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8] {
                self.context = context
                return []
            }
        }
        let capture = Capture()
        let transport = ScriptedTransport([
            ScriptedTransport.invocation("{}", id: "abc", deadline: Deadline(epochMilliseconds: 1_700_000_123_456), arn: "arn:x", trace: "Root=1-a-b;Sampled=1"),
            ScriptedTransport.accepted,
        ])
        try loop(transport).runOnce(capture)
        let context = try XCTUnwrap(capture.context)
        XCTAssertEqual(context.requestID, "abc")
        XCTAssertEqual(context.deadline, Deadline(epochMilliseconds: 1_700_000_123_456))
        XCTAssertEqual(context.invokedFunctionARN, "arn:x")
        XCTAssertEqual(context.traceID, "Root=1-a-b;Sampled=1")
    }

    /// An id from a Runtime API other than Lambda's (whose ids are UUIDs) still names its own
    /// invocation: encoded as one path segment (curl refuses a URL with a space; a `/` or `?`
    /// would post to another path).
    func testAnOddRequestIDIsEncodedInItsURLs() throws {
        let id = "a b/c?d#\u{E9}"
        let transport = ScriptedTransport([
            ScriptedTransport.invocation("{}", id: id), ScriptedTransport.accepted,
            ScriptedTransport.invocation("{}", id: id), ScriptedTransport.accepted,
        ])
        let loop = loop(transport)
        try loop.runOnce(EchoHandler())
        try loop.runOnce(ThrowingHandler(error: PlainError.broken(code: 1)))
        XCTAssertEqual(transport.requests[1].url, "\(base)/invocation/a%20b%2Fc%3Fd%23%C3%A9/response")
        XCTAssertEqual(transport.requests[3].url, "\(base)/invocation/a%20b%2Fc%3Fd%23%C3%A9/error")
    }

    /// A deadline header no Lambda sends (at or before 1970, or `Int64.min`, whose margin would
    /// overflow) is unreadable: no known deadline, and the invocation is answered.
    func testAnImpossibleDeadlineIsNoDeadline() throws {
        for value in ["-9223372036854775808", "-9000000000000000000", "0", "-1"] {
            let next = HTTPResponse(status: 200, headers: [HTTPHeader(name: "Lambda-Runtime-Aws-Request-Id", value: "r"),
                                                           HTTPHeader(name: "Lambda-Runtime-Deadline-Ms", value: value)],
                                    body: Array("{}".utf8))
            let client = LambdaRuntimeClient(runtimeAPI: api, transport: ScriptedTransport([.response(next)]))
            XCTAssertNil(try client.next().context.deadline, value)
        }
    }

    func testMissingDeadlineMeansNoKnownDeadline() throws {
        let client = LambdaRuntimeClient(runtimeAPI: api, transport: ScriptedTransport([
            ScriptedTransport.invocation("{}", id: "x", deadline: nil, arn: nil),
        ]))
        let invocation = try client.next()
        XCTAssertNil(invocation.context.deadline)
        XCTAssertEqual(invocation.context.invokedFunctionARN, "")
        XCTAssertNil(invocation.context.traceID)
        XCTAssertEqual(invocation.event, Array("{}".utf8))
    }

    func testTraceIDIsExportedAndClearedWhenAbsent() throws {
        final class EnvReader: LambdaHandler, @unchecked Sendable {
            var seen: [String?] = []
            func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8] {
                seen.append(getenv("_X_AMZN_TRACE_ID").map { String(cString: $0) })
                return []
            }
        }
        setenv("_X_AMZN_TRACE_ID", "stale-from-before", 1)
        let reader = EnvReader()
        let transport = ScriptedTransport([
            ScriptedTransport.invocation("{}", id: "1", trace: "Root=1-one"), ScriptedTransport.accepted,
            ScriptedTransport.invocation("{}", id: "2", trace: nil), ScriptedTransport.accepted,
            ScriptedTransport.invocation("{}", id: "3", trace: "Root=1-three"), ScriptedTransport.accepted,
        ])
        let loop = loop(transport)
        for _ in 0..<3 { try loop.runOnce(reader) }
        XCTAssertEqual(reader.seen, ["Root=1-one", nil, "Root=1-three"])
    }

    func testLambdaErrorIsReportedWithTypeHeaderAndBody() throws {
        let log = LogLines()
        let transport = ScriptedTransport([ScriptedTransport.invocation("{}", id: "r9"), ScriptedTransport.accepted])
        let error = TypedError(errorType: "Function.InvalidEvent", errorMessage: #"sum needs "key1" and "key2""#)
        try loop(transport, log).runOnce(ThrowingHandler(error: error))

        let post = transport.requests[1]
        XCTAssertEqual(post.url, "\(base)/invocation/r9/error")
        XCTAssertEqual(post.header("Lambda-Runtime-Function-Error-Type"), "Function.InvalidEvent")
        XCTAssertEqual(try JSONValue(parsing: post.body), .object([
            "errorMessage": .string(#"sum needs "key1" and "key2""#),
            "errorType": .string("Function.InvalidEvent"),
            "stackTrace": .array([]),
        ]))
        XCTAssertEqual(log.lines, [#"invocation failed: Function.InvalidEvent: sum needs "key1" and "key2""#])
        XCTAssertEqual(log.records.map(\.level), [.error])
        XCTAssertEqual(log.records.first?.requestID, "r9")
        XCTAssertEqual(log.records.first?.fields["errorType"], .string("Function.InvalidEvent"))
    }

    func testPlainErrorIsReportedAsUnhandledErrorWithDescription() throws {
        let transport = ScriptedTransport([ScriptedTransport.invocation("{}", id: "r"), ScriptedTransport.accepted])
        try loop(transport).runOnce(ThrowingHandler(error: PlainError.broken(code: 42)))
        let post = transport.requests[1]
        XCTAssertEqual(post.header("Lambda-Runtime-Function-Error-Type"), "Function.UnhandledError")
        let body = try JSONValue(parsing: post.body)
        XCTAssertEqual(body["errorType"], .string("Function.UnhandledError"))
        XCTAssertEqual(body["errorMessage"], .string("PlainError: broken(code: 42)"))
    }

    func testMalformedErrorTypeIsNotSentAsIs() throws {
        let transport = ScriptedTransport([ScriptedTransport.invocation("{}", id: "r"), ScriptedTransport.accepted])
        try loop(transport).runOnce(ThrowingHandler(error: TypedError(errorType: "S3Error", errorMessage: "denied")))
        let post = transport.requests[1]
        XCTAssertEqual(post.header("Lambda-Runtime-Function-Error-Type"), "Function.UnhandledError")
        XCTAssertEqual(try JSONValue(parsing: post.body)["errorMessage"], .string("S3Error: denied"))
    }

    func testHandlerErrorDoesNotStopTheLoop() throws {
        let transport = ScriptedTransport([
            ScriptedTransport.invocation("{}", id: "bad"), ScriptedTransport.accepted,
            ScriptedTransport.invocation("{}", id: "good"), ScriptedTransport.accepted,
        ])
        struct FailFirst: LambdaHandler {
            func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8] {
                if context.requestID == "bad" { throw PlainError.broken(code: 1) }
                return Array("ok".utf8)
            }
        }
        XCTAssertThrowsError(try loop(transport).run(FailFirst())) { error in
            guard case LambdaRuntimeError.transport(let endpoint, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(endpoint, "/next")
        }
        XCTAssertEqual(transport.requests.map(\.url), [
            "\(base)/invocation/next", "\(base)/invocation/bad/error",
            "\(base)/invocation/next", "\(base)/invocation/good/response",
            "\(base)/invocation/next",
        ])
    }

    func testOversizedResponseIsReportedAsResponseSizeTooLarge() throws {
        let transport = ScriptedTransport([ScriptedTransport.invocation("{}", id: "big"), ScriptedTransport.accepted])
        try loop(transport).runOnce(FixedSizeHandler(size: LambdaLoop.maxResponseBytes + 1))
        let post = transport.requests[1]
        XCTAssertEqual(post.url, "\(base)/invocation/big/error")
        XCTAssertEqual(post.header("Lambda-Runtime-Function-Error-Type"), "Function.ResponseSizeTooLarge")
        XCTAssertLessThan(post.body.count, 500, "the oversized payload itself must not be sent")
    }

    func testResponseAtTheLimitIsSent() throws {
        let transport = ScriptedTransport([ScriptedTransport.invocation("{}", id: "edge"), ScriptedTransport.accepted])
        try loop(transport).runOnce(FixedSizeHandler(size: LambdaLoop.maxResponseBytes))
        XCTAssertEqual(transport.requests[1].url, "\(base)/invocation/edge/response")
        XCTAssertEqual(transport.requests[1].body.count, 6 * 1024 * 1024)
    }

    func testRejectedResponseIsLoggedAndLoopContinues() throws {
        for status in [400, 403, 413] {
            let log = LogLines()
            let transport = ScriptedTransport([
                ScriptedTransport.invocation("{}", id: "r1"), ScriptedTransport.status(status, #"{"errorType":"InvalidRequestID"}"#),
                ScriptedTransport.invocation("{}", id: "r2"), ScriptedTransport.accepted,
            ])
            let loop = loop(transport, log)
            try loop.runOnce(EchoHandler())
            try loop.runOnce(EchoHandler())
            XCTAssertEqual(transport.requests.count, 4)
            XCTAssertEqual(log.lines, [#"Runtime API answered \#(status) to /response: {"errorType":"InvalidRequestID"}"#])
            XCTAssertEqual(log.records.map(\.requestID), ["r1"])
            XCTAssertEqual(log.records.map(\.level), [.error])
        }
    }

    func testRejectedErrorReportIsLoggedAndLoopContinues() throws {
        let log = LogLines()
        let transport = ScriptedTransport([
            ScriptedTransport.invocation("{}", id: "r1"), ScriptedTransport.status(400, "nope"),
            ScriptedTransport.invocation("{}", id: "r2"), ScriptedTransport.accepted,
        ])
        let loop = loop(transport, log)
        try loop.runOnce(ThrowingHandler(error: PlainError.broken(code: 2)))
        try loop.runOnce(EchoHandler())
        XCTAssertEqual(log.lines.count, 2)
        XCTAssertEqual(log.lines.last, "Runtime API answered 400 to /error: nope")
        XCTAssertEqual(log.records.map(\.requestID), ["r1", "r1"])
    }

    func testServerErrorOnResponseStopsTheLoop() throws {
        let transport = ScriptedTransport([
            ScriptedTransport.invocation("{}", id: "r1"), ScriptedTransport.status(500, "container error"),
            ScriptedTransport.invocation("{}", id: "never"),
        ])
        XCTAssertThrowsError(try loop(transport).run(EchoHandler())) { error in
            guard case LambdaRuntimeError.serverError(let endpoint, let id, let status, let body) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(endpoint, "/response")
            XCTAssertEqual(id, "r1")
            XCTAssertEqual(status, 500)
            XCTAssertEqual(body, "container error")
        }
        XCTAssertEqual(transport.requests.count, 2, "no /next after a 500")
    }

    func testServerErrorOnErrorReportStopsTheLoop() throws {
        let transport = ScriptedTransport([ScriptedTransport.invocation("{}", id: "r1"), ScriptedTransport.status(503)])
        XCTAssertThrowsError(try loop(transport).runOnce(ThrowingHandler(error: PlainError.broken(code: 3)))) { error in
            guard case LambdaRuntimeError.serverError(let endpoint, _, 503, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(endpoint, "/error")
        }
    }

    func testNextFailuresStopTheLoop() {
        let cases: [(ScriptedTransport.Reply, String)] = [
            (.failure(HTTPTransportError(code: 7, message: "refused", method: "GET", url: "u")), "transport"),
            (ScriptedTransport.status(500, "boom"), "serverError"),
            (ScriptedTransport.status(403, "InvalidStateTransition"), "unexpectedStatus"),
            (.response(HTTPResponse(status: 200, body: Array("{}".utf8))), "missingRequestID"),
        ]
        for (reply, expected) in cases {
            let transport = ScriptedTransport([reply, ScriptedTransport.invocation("{}", id: "never")])
            XCTAssertThrowsError(try loop(transport).run(EchoHandler())) { error in
                let actual: String
                switch error as? LambdaRuntimeError {
                case .transport: actual = "transport"
                case .serverError: actual = "serverError"
                case .unexpectedStatus: actual = "unexpectedStatus"
                case .missingRequestID: actual = "missingRequestID"
                case nil: actual = "\(error)"
                }
                XCTAssertEqual(actual, expected)
            }
            XCTAssertEqual(transport.requests.count, 1)
        }
    }

    func testTransportErrorOnResponseStopsTheLoop() {
        let transport = ScriptedTransport([
            ScriptedTransport.invocation("{}", id: "r"),
            .failure(HTTPTransportError(code: 56, message: "reset", method: "POST", url: "u")),
        ])
        XCTAssertThrowsError(try loop(transport).runOnce(EchoHandler())) { error in
            guard case LambdaRuntimeError.transport("/response", let underlying) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(underlying.code, 56)
        }
    }

    func testInitErrorIsPostedToInitEndpoint() throws {
        let log = LogLines()
        let transport = ScriptedTransport([ScriptedTransport.accepted])
        let accepted = loop(transport, log).reportInitError(TypedError(errorType: "Runtime.InvalidHandler", errorMessage: "unknown handler \"x\""))
        XCTAssertTrue(accepted)
        let post = try XCTUnwrap(transport.requests.first)
        XCTAssertEqual(post.method, "POST")
        XCTAssertEqual(post.url, "\(base)/init/error")
        XCTAssertEqual(post.header("Lambda-Runtime-Function-Error-Type"), "Runtime.InvalidHandler")
        XCTAssertEqual(try JSONValue(parsing: post.body)["errorMessage"], .string("unknown handler \"x\""))
        XCTAssertEqual(log.lines, [#"init failed: Runtime.InvalidHandler: unknown handler "x""#])
        XCTAssertEqual(log.records.map(\.level), [.fatal])
        XCTAssertNil(log.records.first?.requestID, "no invocation yet")
    }

    func testInitErrorThatCannotBeDeliveredIsLogged() {
        let log = LogLines()
        let accepted = loop(ScriptedTransport([]), log).reportInitError(PlainError.broken(code: 0))
        XCTAssertFalse(accepted)
        XCTAssertEqual(log.lines.count, 2)
        XCTAssertTrue(log.lines[1].contains("/init/error unreachable"), log.lines[1])
    }

    func testRuntimeAPIWithSchemeIsAccepted() throws {
        let transport = ScriptedTransport([ScriptedTransport.invocation("{}", id: "x")])
        _ = try LambdaRuntimeClient(runtimeAPI: "http://localhost:1234", transport: transport).next()
        XCTAssertEqual(transport.requests[0].url, "http://localhost:1234/2018-06-01/runtime/invocation/next")
    }
}
