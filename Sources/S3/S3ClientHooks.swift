import Basics

/// The client's view of time and chance, and what it tells its owner. Tests replace these to
/// check signatures against recorded requests and to assert a retry schedule without sleeping;
/// the function counts and times its S3 requests through `requestDone`.
public struct S3ClientHooks {
    /// Epoch seconds used as the signing time (`x-amz-date`).
    public var signingClock: () -> Int64
    /// Epoch milliseconds, compared with the deadline.
    public var now: () -> Int64
    /// Blocks for the given milliseconds between attempts.
    public var sleep: (Int) -> Void
    /// A uniformly random integer in `0...upperBound` (the jitter).
    public var random: (Int) -> Int
    /// Called once per attempt of every request, answered or not, in the order the answers are
    /// handled.
    public var requestDone: (S3RequestRecord) -> Void

    public init(signingClock: @escaping () -> Int64 = SystemClock.epochSeconds,
                now: @escaping () -> Int64 = SystemClock.epochMilliseconds,
                sleep: @escaping (Int) -> Void = { SystemClock.sleep(milliseconds: $0) },
                random: @escaping (Int) -> Int = { Int.random(in: 0...max(0, $0)) },
                requestDone: @escaping (S3RequestRecord) -> Void = { _ in }) {
        self.signingClock = signingClock
        self.now = now
        self.sleep = sleep
        self.random = random
        self.requestDone = requestDone
    }

    public static var system: S3ClientHooks { S3ClientHooks() }
}
