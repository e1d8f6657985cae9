import Basics

/// How the client retries: capped exponential backoff with full jitter (AWS's recommended scheme),
/// bounded by attempts and by the caller's deadline, so a Lambda invocation never overruns its
/// time because S3 was slow.
public struct S3RetryPolicy: Sendable, Equatable {
    /// Total requests, first one included.
    public var maxAttempts: Int
    public var baseDelayMs: Int
    public var maxDelayMs: Int
    /// Retrying stops when the next sleep would end later than `deadline - deadlineMarginMs`, so
    /// the caller keeps this much time to react to the error.
    public var deadlineMarginMs: Int64

    public init(maxAttempts: Int = 8, baseDelayMs: Int = 25, maxDelayMs: Int = 2_000, deadlineMarginMs: Int64 = 250) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelayMs = baseDelayMs
        self.maxDelayMs = maxDelayMs
        self.deadlineMarginMs = deadlineMarginMs
    }

    public static let standard = S3RetryPolicy()
    /// One attempt, no retry.
    public static let none = S3RetryPolicy(maxAttempts: 1)

    /// Upper bound of the random sleep after failed attempt `attempt` (1-based):
    /// `min(maxDelayMs, baseDelayMs * 2^(attempt-1))`. The sleep is uniform in `0...ceiling`.
    public func backoffCeiling(afterAttempt attempt: Int) -> Int {
        Backoff(baseMs: baseDelayMs, maxMs: maxDelayMs).ceiling(afterAttempt: attempt)
    }
}

