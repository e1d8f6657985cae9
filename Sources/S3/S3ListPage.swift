/// One ListObjectsV2 page.
public struct S3ListPage: Sendable, Equatable {
    public var entries: [S3ListEntry]
    public var isTruncated: Bool
    /// Pass to the next call to get the next page; set when `isTruncated`.
    public var nextContinuationToken: String?

    public init(entries: [S3ListEntry], isTruncated: Bool, nextContinuationToken: String?) {
        self.entries = entries
        self.isTruncated = isTruncated
        self.nextContinuationToken = nextContinuationToken
    }
}

/// One object in a listing.
public struct S3ListEntry: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var etag: String?
    public var lastModified: String?

    public init(key: String, size: Int64, etag: String?, lastModified: String?) {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
    }
}
