/// Why one key of a batch could not be read.
public enum KeyReadError: Error, CustomStringConvertible {
    /// S3 will give the same answer however often it is asked (403 AccessDenied, 400 for a key
    /// the server will not take, `InvalidObjectState` for an archived object, a KMS key the role
    /// may not use): the key is skipped with this reason and the rest of the batch goes on.
    case refused(reason: String)
    /// Worth asking again later (5xx or throttling past the client's retries, a timeout, the
    /// deadline): the bucket's update fails so that the records are delivered again.
    case failed(any Error)

    public var description: String {
        switch self {
        case .refused(let reason): reason
        case .failed(let error): "\(error)"
        }
    }
}
