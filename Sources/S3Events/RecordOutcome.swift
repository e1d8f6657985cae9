/// One record: a change to apply, or why it is not one.
public enum RecordOutcome: Equatable, Sendable {
    case change(ObjectNotification)
    /// Not a catalog matter (e.g. `ObjectTagging:Put`, `s3:TestEvent`); reported in the summary.
    case ignored(key: String?, reason: String)
}
