/// One page of a listing, in key order (UTF-8 bytes).
public struct ListedPage: Equatable, Sendable {
    public var objects: [ListedObject]
    /// More objects follow the last one listed.
    public var isTruncated: Bool

    public init(objects: [ListedObject], isTruncated: Bool) {
        self.objects = objects
        self.isTruncated = isTruncated
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
