/// One page of a listing, in key order (UTF-8 bytes).
public struct ListedPage: Equatable, Sendable {
    public var objects: [ListedObject]
    /// More objects follow the last one listed.
    public var isTruncated: Bool
    /// Where the listing goes on (S3's continuation token), when more follow. The only way past
    /// a page with no objects that says more follow: S3 may answer one (a stretch of keys it
    /// skipped), and after it there is no last key to start after.
    public var continuation: String?

    public init(objects: [ListedObject], isTruncated: Bool, continuation: String? = nil) {
        self.objects = objects
        self.isTruncated = isTruncated
        self.continuation = continuation
    }
}

/// One object of a listing.
public struct ListedObject: Equatable, Sendable {
    public var key: String
    public var size: Int64
    public var version: ObjectVersion

    public init(key: String, size: Int64, version: ObjectVersion) {
        self.key = key
        self.size = size
        self.version = version
    }
}
