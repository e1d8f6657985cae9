/// A part `ObjectStore.startPart` sent: its answer is collected once, by `etag()`, after the
/// caller has made its other round trips.
public final class StartedPart {
    private var collect: (() -> Result<String?, any Error>)?
    private var outcome: Result<String?, any Error>?

    /// A part still in flight: `collect` waits for its answer.
    public init(collecting collect: @escaping () -> Result<String?, any Error>) {
        self.collect = collect
    }

    /// A part answered already.
    public init(_ outcome: Result<String?, any Error>) {
        self.outcome = outcome
    }

    /// The part's ETag, waiting for it if need be; `nil` when a copy's source is no longer the
    /// version it names (as `ObjectStore.uploadParts`); its error, thrown.
    public func etag() throws -> String? {
        if outcome == nil {
            outcome = collect?()
            collect = nil
        }
        return try outcome!.get()
    }
}
