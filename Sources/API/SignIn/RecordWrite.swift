/// The outcome of `ObjectStore.writeRecord`.
public enum RecordWrite: Equatable, Sendable {
    /// Stored; the new version's bare ETag.
    case written(etag: String)
    /// Another writer changed (or created) the record since it was read (S3's 412, or 409 while
    /// another conditional write is in flight): read it again and re-apply.
    case conflict
}
