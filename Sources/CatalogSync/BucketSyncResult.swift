import Catalog

public struct BucketSyncResult: Sendable {
    public init(bucket: String, attempts: Int = 0, wrote: Bool = false) {
        self.bucket = bucket
        self.attempts = attempts
        self.wrote = wrote
    }

    public var bucket: String
    public var summary: Catalog.ApplySummary?
    public var skipped: [SkippedKey] = []
    /// Read-observe-write rounds, 1 when uncontended.
    public var attempts = 0
    public var wrote = false
    /// Bytes of image heads read to sniff formats and sizes (the last round's).
    public var bytesRead = 0
}
