import Basics

public struct SQSMessage: Equatable, Sendable {
    public var messageID: String
    /// The message's records, or why its body could not be read: only this message then fails.
    public var records: Result<[RecordOutcome], EventError>
}
