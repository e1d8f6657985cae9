public enum WriteOutcome: Equatable, Sendable {
    case written(etag: String)
    /// 412 PreconditionFailed or 409 ConditionalRequestConflict: re-read and re-apply.
    case conflict
}
