/// "Something happened to s3://bucket/key": what every supported wrapper (direct S3, SQS,
/// SNS-in-SQS, EventBridge) boils down to. The catalog treats it only as "key K changed" and reads
/// S3's current truth for K, so the event's own size and order do not decide the entry.
public struct ObjectNotification: Equatable, Sendable {
    public enum Kind: Equatable, Sendable { case created, removed }

    public var bucket: String
    /// The real key, already URL-decoded.
    public var key: String
    public var kind: Kind
    /// As S3 named it, e.g. `ObjectCreated:Put`, `LifecycleExpiration:Delete`, `Object Deleted`.
    public var eventName: String
    public var size: Int64?
    public var sequencer: String?
    /// When S3 says the change happened (the record's `eventTime`, EventBridge's `time`), in
    /// epoch milliseconds; `nil` when absent or unreadable. Only measures how far behind the
    /// catalog is (`CatalogLag`): it never decides an entry, and a bad one fails nothing.
    public var eventTime: Int64?

    public init(bucket: String, key: String, kind: Kind, eventName: String,
                size: Int64? = nil, sequencer: String? = nil, eventTime: Int64? = nil) {
        self.bucket = bucket
        self.key = key
        self.kind = kind
        self.eventName = eventName
        self.size = size
        self.sequencer = sequencer
        self.eventTime = eventTime
    }
}

