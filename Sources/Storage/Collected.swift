/// An answer the store collects once, when the caller asks for it, after the caller has made
/// its other round trips: a part in flight (`StartedPart`), an upload being created
/// (`StartedUpload`).
public final class Collected<Value> {
    private var collect: (() -> Result<Value, any Error>)?
    private var outcome: Result<Value, any Error>?

    /// Still in flight: `collect` waits for the answer.
    public init(collecting collect: @escaping () -> Result<Value, any Error>) {
        self.collect = collect
    }

    /// Answered already.
    public init(_ outcome: Result<Value, any Error>) {
        self.outcome = outcome
    }

    /// The answer, waited for the first time; its error, thrown.
    func value() throws -> Value {
        if outcome == nil {
            outcome = collect?()
            collect = nil
        }
        return try outcome!.get()
    }
}
