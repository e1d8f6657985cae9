/// GetObject's outcome: the object, or "unchanged" when `If-None-Match` matched (304).
public enum S3GetObjectResult: Sendable, Equatable {
    case object(S3Object)
    case notModified(etag: String?)

    public var object: S3Object? {
        if case .object(let object) = self { object } else { nil }
    }
}
