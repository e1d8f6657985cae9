/// One attempt of one S3 request, as `S3ClientHooks.requestDone` reports it: what a caller
/// counts (requests, retries) and times (latency) without knowing how the client sends them.
public struct S3RequestRecord: Sendable, Equatable {
    /// The S3 operation, e.g. `GetObject`, `PutObject`, `ListObjectsV2`.
    public var operation: String
    /// The answer's status; `nil` when there was none (refused, reset, timed out).
    public var status: Int?
    /// The exchange's duration as the transport measured it; `nil` when it did not.
    public var durationMs: Double?
    /// 1 for the first try, 2 and up for retries: the requests sent for the call so far, a body
    /// libcurl resent unasked (`HTTPResponse.resent`) included, so that the operator sees it.
    public var attempt: Int

    public init(operation: String, status: Int?, durationMs: Double?, attempt: Int) {
        self.operation = operation
        self.status = status
        self.durationMs = durationMs
        self.attempt = attempt
    }

    public var isRetry: Bool { attempt > 1 }
}
