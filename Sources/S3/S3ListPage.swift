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
