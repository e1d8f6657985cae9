/// An upload `ObjectStore.startUpload(bucket:key:contentType:thenPart:)` created, with its
/// first part sent into it the moment it existed: `landed()` collects the upload's id (waiting
/// for it if need be) and hands over the part, still in flight.
public final class StartedUpload {
    private var collect: (() -> Result<(uploadID: String, part: StartedPart), any Error>)?
    private var outcome: Result<(uploadID: String, part: StartedPart), any Error>?

    /// An upload still being created: `collect` waits for its id.
    public init(collecting collect: @escaping () -> Result<(uploadID: String, part: StartedPart), any Error>) {
        self.collect = collect
    }

    /// The upload's id and its part, or why there is no upload; its error, thrown.
    public func landed() throws -> (uploadID: String, part: StartedPart) {
        if outcome == nil {
            outcome = collect?()
            collect = nil
        }
        return try outcome!.get()
    }
}
