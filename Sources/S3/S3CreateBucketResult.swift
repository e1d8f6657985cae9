public enum S3CreateBucketResult: Sendable, Equatable {
    case created
    /// 409 BucketAlreadyOwnedByYou: fine for setup scripts and tests.
    case alreadyOwnedByYou
}
