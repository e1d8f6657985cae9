import Basics

/// What Lambda tells the runtime about one invocation, from the `/next` response headers.
public struct InvocationContext: Sendable {
    /// How long before Lambda's deadline a handler stops working, so that its error still reaches
    /// `/error` (a report takes one local round trip) before Lambda kills the invocation.
    public static let reportMarginMilliseconds: Int64 = 500

    /// `Lambda-Runtime-Aws-Request-Id`: names the invocation in the response URL and in logs.
    public var requestID: String
    /// `Lambda-Runtime-Deadline-Ms`: when Lambda kills the invocation; `nil` when the header was
    /// missing or unreadable (no known deadline).
    public var deadline: Deadline?
    /// `Lambda-Runtime-Invoked-Function-Arn` (may carry a version or alias suffix).
    public var invokedFunctionARN: String
    /// `Lambda-Runtime-Trace-Id`, the X-Ray header; also exported as `_X_AMZN_TRACE_ID`.
    public var traceID: String?

    public init(requestID: String, deadline: Deadline?, invokedFunctionARN: String, traceID: String? = nil) {
        self.requestID = requestID
        self.deadline = deadline
        self.invokedFunctionARN = invokedFunctionARN
        self.traceID = traceID
    }

    /// The deadline handlers work to: Lambda's, less `reportMarginMilliseconds`. Everything below
    /// the handler (S3 retries, catalog rounds, the userinfo call) ends by this instant.
    public var workDeadline: Deadline? { deadline?.earlier(byMilliseconds: Self.reportMarginMilliseconds) }
}
