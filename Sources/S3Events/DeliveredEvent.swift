import Basics

/// An invocation's payload, by how it was delivered.
public enum DeliveredEvent: Equatable, Sendable {
    /// S3 → Lambda directly (also the console's `s3-put` test event).
    case s3(records: [RecordOutcome])
    /// S3 → SQS → Lambda: failures are answered per message (`batchItemFailures`).
    case sqs(messages: [SQSMessage])
    /// S3 → EventBridge → Lambda: one object per event.
    case eventBridge(RecordOutcome)
}

/// One SQS message of an S3 → SQS delivery.
public struct SQSMessage: Equatable, Sendable {
    public var messageID: String
    /// The message's records, or why its body could not be read: only this message then fails.
    public var records: Result<[RecordOutcome], EventError>
}

/// One record: a change to apply, or why it is not one.
public enum RecordOutcome: Equatable, Sendable {
    case change(ObjectNotification)
    /// Not a catalog matter (e.g. `ObjectTagging:Put`, `s3:TestEvent`); reported in the summary.
    case ignored(key: String?, reason: String)
}
