import Basics

/// What Lambda tells the runtime about one invocation, from the `/next` response headers.
public struct InvocationContext: Sendable {
    /// `Lambda-Runtime-Aws-Request-Id`: names the invocation in the response URL and in logs.
    public var requestID: String
    /// `Lambda-Runtime-Deadline-Ms`: when Lambda kills the invocation, in Unix epoch
    /// milliseconds. `Int64.max` when the header was missing (no known deadline).
    public var deadlineMs: Int64
    /// `Lambda-Runtime-Invoked-Function-Arn` (may carry a version or alias suffix).
    public var invokedFunctionARN: String
    /// `Lambda-Runtime-Trace-Id`, the X-Ray header; also exported as `_X_AMZN_TRACE_ID`.
    public var traceID: String?

    public init(requestID: String, deadlineMs: Int64, invokedFunctionARN: String, traceID: String? = nil) {
        self.requestID = requestID
        self.deadlineMs = deadlineMs
        self.invokedFunctionARN = invokedFunctionARN
        self.traceID = traceID
    }

    /// The deadline, or `nil` when Lambda sent none (`deadlineMs` is then `Int64.max`).
    public var knownDeadlineMs: Int64? { deadlineMs == .max ? nil : deadlineMs }

    /// Milliseconds left before the deadline (negative once it has passed), so a handler can
    /// stop retrying in time to report an error instead of being killed mid-write.
    public func remainingMs(now: Int64 = SystemClock.epochMilliseconds()) -> Int64 {
        let (remaining, overflow) = deadlineMs.subtractingReportingOverflow(now)
        return overflow ? (now < 0 ? Int64.max : Int64.min) : remaining
    }
}
