import S3

/// Why one key of a batch could not be read.
public enum KeyReadError: Error, CustomStringConvertible {
    /// S3 will give the same answer however often it is asked (403 AccessDenied, 400 for a key
    /// the server will not take, `InvalidObjectState` for an archived object, a KMS key the role
    /// may not use): the key is skipped with this reason and the rest of the batch goes on.
    case refused(reason: String)
    /// Worth asking again later (5xx or throttling past the client's retries, a timeout, the
    /// deadline): the bucket's update fails so that the records are delivered again.
    case failed(any Error)

    /// Which S3 failures are the key's own, for good: 4xx answers that asking again cannot
    /// change (403 AccessDenied or InvalidObjectState for an archived object, 400 for a key the
    /// server will not take or a KMS failure, 405 for a delete marker), and answers that could
    /// not be understood. A missing bucket, throttling, 5xx, timeouts, transport failures, the
    /// deadline and answers about the caller (`callerCodes`) fail the bucket instead, so its
    /// records come back.
    public init(_ error: S3Error) {
        switch error.kind {
        case .service(let status, let code, _, _)
            where (400..<500).contains(status) && !error.isRetryable && code != "NoSuchBucket" && status != 408
                && !Self.callerCodes.contains(code):
            self = .refused(reason: "S3 refuses it: \(error)")
        case .invalidResponse:
            self = .refused(reason: "S3's answer is unreadable: \(error)")
        default:
            self = .failed(error)
        }
    }

    /// 4xx codes that describe the request's credentials or clock, not the key: an expired
    /// session token, an unknown access key or a skewed clock refuses every key alike, and
    /// skipping them would drop a whole batch of records until the reconcile (which uses the same
    /// credentials). Not `SignatureDoesNotMatch`: a wrong secret gives it for every key, but a
    /// server or proxy that encodes one key's name differently gives it for that key alone, and
    /// failing the bucket would then fail every record with it, for good.
    static let callerCodes: Set<String> = [
        "ExpiredToken", "InvalidToken", "TokenRefreshRequired", "InvalidSecurity", "MissingSecurityHeader",
        "InvalidAccessKeyId", "AuthorizationHeaderMalformed", "RequestTimeTooSkewed", "RequestExpired",
    ]

    public var description: String {
        switch self {
        case .refused(let reason): reason
        case .failed(let error): "\(error)"
        }
    }
}
