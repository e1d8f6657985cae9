/// Capped exponential backoff with full jitter: the ceiling doubles from `baseMs` per attempt up
/// to `maxMs`, and the wait is drawn uniformly below it, so writers that collided once do not
/// collide again in lockstep (AWS Architecture Blog, "Exponential Backoff and Jitter").
public struct Backoff: Equatable, Sendable {
    public var baseMs: Int
    public var maxMs: Int

    public init(baseMs: Int, maxMs: Int) {
        self.baseMs = baseMs
        self.maxMs = maxMs
    }

    /// The upper bound of the wait after `attempt` (1-based) failed.
    public func ceiling(afterAttempt attempt: Int) -> Int {
        let shift = min(max(attempt - 1, 0), 30)
        let (scaled, overflow) = baseMs.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? maxMs : min(maxMs, scaled)
    }
}
