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

    public init(bucket: String, key: String, kind: Kind, eventName: String,
                size: Int64? = nil, sequencer: String? = nil) {
        self.bucket = bucket
        self.key = key
        self.kind = kind
        self.eventName = eventName
        self.size = size
        self.sequencer = sequencer
    }
}

/// An invocation's payload, by how it was delivered.
public enum DeliveredEvent: Equatable, Sendable {
    /// S3 → Lambda directly (also the console's `s3-put` test event).
    case s3(records: [RecordOutcome])
    /// S3 → SQS → Lambda: failures are answered per message (`batchItemFailures`).
    case sqs(messages: [SQSMessage])
    /// S3 → EventBridge → Lambda: one object per event.
    case eventBridge(RecordOutcome)
}

/// One record: a change to apply, or why it is not one.
public enum RecordOutcome: Equatable, Sendable {
    case change(ObjectNotification)
    /// Not a catalog matter (e.g. `ObjectTagging:Put`, `s3:TestEvent`); reported in the summary.
    case ignored(key: String?, reason: String)
}

public struct SQSMessage: Equatable, Sendable {
    public var messageID: String
    /// The message's records, or why its body could not be read: only this message then fails.
    public var records: Result<[RecordOutcome], EventError>
}
