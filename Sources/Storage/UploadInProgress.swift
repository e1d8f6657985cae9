/// A multipart upload of an object that was started and is neither completed nor aborted: another
/// writer at work on the same object (or one that died, until a lifecycle rule aborts it).
public struct UploadInProgress: Equatable, Sendable {
    public var id: String
    /// When the server started it, in Unix epoch milliseconds (S3 and SeaweedFS give seconds).
    public var initiatedMs: Int64

    public init(id: String, initiatedMs: Int64) {
        self.id = id
        self.initiatedMs = initiatedMs
    }

    /// Whether this upload was started before `other`: by start time, then by id, so that every
    /// writer that lists both orders them the same way, even when they started in the same second.
    public func isBefore(_ other: UploadInProgress) -> Bool {
        (initiatedMs, id) < (other.initiatedMs, other.id)
    }
}
