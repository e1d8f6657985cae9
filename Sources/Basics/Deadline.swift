/// An epoch-millisecond deadline less the margin kept back before it, so that a failure is
/// reported before the deadline cuts the work off. The one place the retry loops (S3 requests,
/// catalog rounds, the user record's writes, the userinfo call) compare time with a deadline.
public struct Deadline: Equatable, Sendable {
    /// The last instant work may end: the deadline minus its margin.
    public var endMs: Int64

    public init(epochMs: Int64, marginMs: Int64) { endMs = epochMs - marginMs }

    /// Milliseconds left from `now` (negative once past).
    public func remainingMs(now: Int64) -> Int64 { endMs - now }

    /// Whether waiting `waitMs` from `now`, then working `workMs`, still ends in time.
    public func allows(waitMs: Int, thenWorkMs workMs: Int64 = 0, now: Int64) -> Bool {
        now + Int64(waitMs) + workMs < endMs
    }
}
