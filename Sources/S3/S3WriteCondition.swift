/// Conditions for PutObject: S3's compare-and-swap.
public enum S3WriteCondition: Sendable, Equatable {
    /// Write only if the object's current ETag is this one (`If-Match`).
    case ifMatch(String)
    /// Write only if no object exists under the key (`If-None-Match: *`).
    case ifNoneExists
}
