/// One object of a bucket listing.
public struct ListedObject: Equatable, Sendable {
    public var key: String
    public var size: Int64
    /// Without quotes.
    public var etag: String?

    public init(key: String, size: Int64, etag: String?) {
        self.key = key
        self.size = size
        self.etag = etag
    }
}
