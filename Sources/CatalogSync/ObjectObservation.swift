import ImageSniffer

/// An object as S3 has it now, and what its first bytes say it is.
public struct ObjectObservation: Equatable, Sendable {
    public var size: Int64
    /// Without quotes.
    public var etag: String
    /// ISO 8601, e.g. `2026-11-25T16:00:09Z`.
    public var lastModified: String?
    /// The sniffer's verdict on the object's head: never the key's extension.
    public var content: SniffResult
    /// Bytes of the object read to reach that verdict.
    public var bytesRead: Int

    public init(size: Int64, etag: String, lastModified: String? = nil, content: SniffResult, bytesRead: Int = 0) {
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
        self.content = content
        self.bytesRead = bytesRead
    }
}
