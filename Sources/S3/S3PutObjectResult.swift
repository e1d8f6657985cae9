public struct S3PutObjectResult: Sendable, Equatable {
    public var status: Int
    /// The new object's ETag, quotes included.
    public var etag: String

    public init(status: Int, etag: String) {
        self.status = status
        self.etag = etag
    }
}
