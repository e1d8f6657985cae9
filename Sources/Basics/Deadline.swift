/// An instant by which work must end, as the Lambda invocation context gives it: one type from
/// the Runtime API's `Lambda-Runtime-Deadline-Ms` header down to the S3 client's last retry, so
/// no layer passes bare milliseconds around or re-derives a margin its caller already took.
///
/// Absent (`Deadline?` is `nil`) means nobody said: tests, tools run by hand, a Runtime API that
/// sent no header. Callers then bound their work by a count instead (see `CatalogUpdater`).
///
/// Its arithmetic saturates at `Int64`'s bounds: the instant comes from a header, and no value a
/// header can hold may trap the process.
public struct Deadline: Comparable, Sendable, CustomStringConvertible {
    /// The instant, in Unix epoch milliseconds (the clock of `SystemClock.epochMilliseconds`).
    public let epochMilliseconds: Int64

    public init(epochMilliseconds: Int64) { self.epochMilliseconds = epochMilliseconds }

    /// `milliseconds` after `now`.
    public static func after(milliseconds: Int64, now: Int64 = SystemClock.epochMilliseconds()) -> Deadline {
        Deadline(epochMilliseconds: sum(now, milliseconds))
    }

    /// The same deadline with `milliseconds` kept back, so that whoever works to it still has that
    /// long to report a failure before the real one.
    public func earlier(byMilliseconds milliseconds: Int64) -> Deadline {
        Deadline(epochMilliseconds: Self.difference(epochMilliseconds, milliseconds))
    }

    /// Milliseconds left from `now`: negative once past.
    public func remainingMilliseconds(now: Int64 = SystemClock.epochMilliseconds()) -> Int64 {
        Self.difference(epochMilliseconds, now)
    }

    /// Whether waiting `waitMilliseconds` from `now`, then working `workMilliseconds`, still ends
    /// strictly before the deadline.
    public func allows(waitMilliseconds: Int, thenWorkMilliseconds: Int64 = 0, now: Int64) -> Bool {
        Self.sum(Self.sum(now, Int64(waitMilliseconds)), thenWorkMilliseconds) < epochMilliseconds
    }

    /// `a + b`, held at `Int64`'s bounds.
    static func sum(_ a: Int64, _ b: Int64) -> Int64 {
        let (value, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : value
    }

    /// `a - b`, held at `Int64`'s bounds.
    static func difference(_ a: Int64, _ b: Int64) -> Int64 {
        let (value, overflow) = a.subtractingReportingOverflow(b)
        return overflow ? (b < 0 ? .max : .min) : value
    }

    public static func < (a: Deadline, b: Deadline) -> Bool { a.epochMilliseconds < b.epochMilliseconds }

    public var description: String { "deadline \(epochMilliseconds) ms" }
}
