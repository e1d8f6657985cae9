/// The outcome of `ObjectStore.read`. ETags are bare (S3's quotes removed).
public enum StoreRead: Equatable, Sendable {
    case found(bytes: [UInt8], etag: String)
    /// The object still has the ETag given as `ifNoneMatch`.
    case notModified(etag: String)
    case missing
}
