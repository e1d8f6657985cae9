/// How the Runtime API answered a response or error report that it did not fail on.
public enum PostOutcome: Sendable, Equatable {
    /// 202 (any 2xx): Lambda has it.
    case accepted
    /// 4xx, e.g. 400 unknown or already answered request id, 403 wrong state, 413 too large.
    /// The report is lost, but the environment is healthy: log it and take the next event.
    case rejected(status: Int, body: String)
}
