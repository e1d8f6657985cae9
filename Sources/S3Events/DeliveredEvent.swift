/// An invocation's payload, by how it was delivered.
public enum DeliveredEvent: Equatable, Sendable {
    /// S3 → Lambda directly (also the console's `s3-put` test event).
    case s3(records: [RecordOutcome])
    /// S3 → SQS → Lambda: failures are answered per message (`batchItemFailures`).
    case sqs(messages: [SQSMessage])
    /// S3 → EventBridge → Lambda: one object per event.
    case eventBridge(RecordOutcome)
}
