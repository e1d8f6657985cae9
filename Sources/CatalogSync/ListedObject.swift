/// One object of a bucket listing.
public struct ListedObject: Equatable, Sendable {
    public var key: String
    public var size: Int64
    /// Without quotes.
    public var etag: String?
    /// As the listing gives it (ISO 8601, often with milliseconds).
    public var lastModified: String?

    public init(key: String, size: Int64, etag: String?, lastModified: String? = nil) {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
    }
}
