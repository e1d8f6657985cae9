/// An upload `ObjectStore.startUpload(bucket:key:contentType:thenPart:)` created, with its
/// first part sent into it the moment it existed: `landed()` collects the upload's id (waiting
/// for it if need be) and hands over the part, still in flight.
public typealias StartedUpload = Collected<(uploadID: String, part: StartedPart)>

extension Collected where Value == (uploadID: String, part: StartedPart) {
    /// The upload's id and its part, or why there is no upload; its error, thrown.
    public func landed() throws -> (uploadID: String, part: StartedPart) { try value() }
}
