import HTTPClient
import Telemetry

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The runtime's event loop: `/next`, call the handler, post its response or error, repeat.
///
/// Single-threaded and synchronous on purpose: a Lambda execution environment handles one
/// invocation at a time, so threads would only add context switches to every invocation.
public struct LambdaLoop {
    /// Lambda's limit on a synchronous response (6 MB): bigger ones are reported as errors.
    public static let maxResponseBytes = 6 * 1024 * 1024

    public let client: LambdaRuntimeClient
    /// The runtime's own lines: a failed invocation (`ERROR`, with its `errorType`), a report the
    /// Runtime API refused (`ERROR`), start-up failing or the loop stopping (`FATAL`).
    public var log: Logger

    /// `runtimeAPI` is `AWS_LAMBDA_RUNTIME_API` (`host:port`). Does no I/O: the first request is
    /// the first `/next` (or `/init/error`), so nothing delays the cold start.
    public init(runtimeAPI: String, transport: any HTTPTransport, log: Logger = .standardError) {
        client = LambdaRuntimeClient(runtimeAPI: runtimeAPI, transport: transport)
        self.log = log
    }

    /// Tells Lambda that start-up failed (`/init/error`). The caller then exits non-zero.
    /// Returns whether Lambda accepted the report; failures to report are logged, not thrown.
    @discardableResult
    public func reportInitError(_ error: any Error) -> Bool {
        let report = ErrorReport(error)
        log.fatal("init failed: \(report.errorType): \(report.errorMessage)", ["errorType": .string(report.errorType)])
        do {
            switch try client.sendInitError(report) {
            case .accepted: return true
            case .rejected(let status, let body):
                log.error("Runtime API answered \(status) to /init/error: \(body)", ["status": .int(status)])
                return false
            }
        } catch {
            log.fatal("\(error)")
            return false
        }
    }

    /// Serves invocations until the Runtime API fails: it never returns normally. Handler
    /// errors are reported and do not stop it; a 5xx answer, a non-200 `/next` or a broken
    /// connection throw, and the process should then exit non-zero.
    public func run(_ handler: some LambdaHandler) throws(LambdaRuntimeError) -> Never {
        while true {
            try runOnce(handler)
        }
    }

    /// One turn of the loop: waits for an invocation, handles it, reports the outcome, then
    /// lets the handler finish what needs no answer (`afterAnswer`).
    public func runOnce(_ handler: some LambdaHandler) throws(LambdaRuntimeError) {
        let invocation = try client.next()
        let context = invocation.context
        LambdaLoop.exportTraceID(context.traceID)
        defer { handler.afterAnswer() }

        let payload: [UInt8]
        do {
            payload = try handler.handle(invocation.event, context: context)
        } catch {
            try reportError(ErrorReport(error), for: context.requestID)
            return
        }
        guard payload.count <= LambdaLoop.maxResponseBytes else {
            let tooLarge = ResponseSizeTooLarge(size: payload.count, limit: LambdaLoop.maxResponseBytes)
            try reportError(ErrorReport(tooLarge), for: context.requestID)
            return
        }
        if case .rejected(let status, let body) = try client.sendResponse(payload, for: context.requestID) {
            log.with(requestID: context.requestID).error("Runtime API answered \(status) to /response: \(body)", ["status": .int(status)])
        }
    }

    private func reportError(_ report: ErrorReport, for requestID: String) throws(LambdaRuntimeError) {
        let log = self.log.with(requestID: requestID)
        log.error("invocation failed: \(report.errorType): \(report.errorMessage)", ["errorType": .string(report.errorType)])
        if case .rejected(let status, let body) = try client.sendError(report, for: requestID) {
            log.error("Runtime API answered \(status) to /error: \(body)", ["status": .int(status)])
        }
    }

    /// Custom runtimes must set `_X_AMZN_TRACE_ID` themselves, for X-Ray-aware code in the
    /// handler. Removed when an invocation has none, so no trace leaks into the next one.
    static func exportTraceID(_ traceID: String?) {
        if let traceID {
            setenv("_X_AMZN_TRACE_ID", traceID, 1)
        } else {
            unsetenv("_X_AMZN_TRACE_ID")
        }
    }
}

/// The function's code: one event in, one response out, both raw bytes (usually JSON), so the
/// runtime never parses or re-encodes a payload the handler may not even need to read whole.
///
/// Called on the runtime's only thread, one invocation at a time. A thrown error is reported to
/// Lambda through `/invocation/{id}/error` and the loop goes on to the next invocation.
public protocol LambdaHandler {
    func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8]
    /// Runs once the invocation's response or error is posted, before the next `/next`: work
    /// whose result no caller waits for (clean-up requests), done before Lambda freezes the
    /// process, without holding the answer. Also after a report the Runtime API refused or
    /// could not take.
    func afterAnswer()
}

extension LambdaHandler {
    public func afterAnswer() {}
}
