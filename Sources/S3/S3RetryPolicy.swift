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

/// The client's view of time and chance. Tests replace these to check signatures against recorded
/// requests and to assert a retry schedule without sleeping.
public struct S3ClientHooks {
    /// Epoch seconds used as the signing time (`x-amz-date`).
    public var signingClock: () -> Int64
    /// Epoch milliseconds, compared with the deadline.
    public var now: () -> Int64
    /// Blocks for the given milliseconds between attempts.
    public var sleep: (Int) -> Void
    /// A uniformly random integer in `0...upperBound` (the jitter).
    public var random: (Int) -> Int

    public init(signingClock: @escaping () -> Int64 = SystemClock.epochSeconds,
                now: @escaping () -> Int64 = SystemClock.epochMilliseconds,
                sleep: @escaping (Int) -> Void = { SystemClock.sleep(milliseconds: $0) },
                random: @escaping (Int) -> Int = { Int.random(in: 0...max(0, $0)) }) {
        self.signingClock = signingClock
        self.now = now
        self.sleep = sleep
        self.random = random
    }

    public static var system: S3ClientHooks { S3ClientHooks() }
}
