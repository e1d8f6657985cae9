import HTTPClient

/// One error type for every S3 failure, carrying what a log line needs (operation, bucket, key,
/// status, S3's code and message, request id) and the predicates callers branch on.
public struct S3Error: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// S3 answered with an error status. `code` comes from the XML body, or is derived from
        /// the status when there is no body (HEAD): `NotFound`, `Forbidden`, ...
        case service(status: Int, code: String, message: String, requestId: String?)
        /// No HTTP answer at all (refused, reset, timed out).
        case transport(HTTPTransportError)
        /// A success status whose body or headers could not be understood.
        case invalidResponse(status: Int, reason: String)
        /// The caller's deadline left no time to send the request.
        case deadlineExceeded

        public static func == (a: Kind, b: Kind) -> Bool {
            switch (a, b) {
            case let (.service(s1, c1, m1, r1), .service(s2, c2, m2, r2)):
                s1 == s2 && c1 == c2 && m1 == m2 && r1 == r2
            case let (.transport(e1), .transport(e2)):
                e1.code == e2.code && e1.message == e2.message && e1.method == e2.method && e1.url == e2.url
            case let (.invalidResponse(s1, r1), .invalidResponse(s2, r2)):
                s1 == s2 && r1 == r2
            case (.deadlineExceeded, .deadlineExceeded):
                true
            default:
                false
            }
        }
    }

    /// The S3 API name: `GetObject`, `PutObject`, `ListObjectsV2`...
    public var operation: String
    public var bucket: String
    public var key: String?
    public var kind: Kind
    /// How many requests were sent before giving up (1 when nothing was retried), libcurl's own
    /// resends of a body included (`HTTPResponse.resent`).
    public var attempts: Int

    public init(operation: String, bucket: String, key: String?, kind: Kind, attempts: Int = 1) {
        self.operation = operation
        self.bucket = bucket
        self.key = key
        self.kind = kind
        self.attempts = attempts
    }

    public var status: Int? {
        switch kind {
        case .service(let status, _, _, _), .invalidResponse(let status, _): status
        case .transport, .deadlineExceeded: nil
        }
    }

    /// S3's error code (`NoSuchKey`, `PreconditionFailed`, `SlowDown`...), if S3 answered.
    public var code: String? {
        if case .service(_, let code, _, _) = kind { code } else { nil }
    }

    public var message: String? {
        if case .service(_, _, let message, _) = kind { message } else { nil }
    }

    public var requestId: String? {
        if case .service(_, _, _, let requestId) = kind { requestId } else { nil }
    }

    /// `s3://bucket/key`, or `s3://bucket` for bucket operations.
    public var resource: String { "s3://\(bucket)" + (key.map { "/" + $0 } ?? "") }

    public var description: String {
        var text = "\(operation) \(resource): "
        switch kind {
        case .service(let status, let code, let message, let requestId):
            text += "\(status) \(code)"
            if !message.isEmpty { text += ": \(message)" }
            if let requestId { text += " (request id \(requestId))" }
        case .transport(let error):
            text += "no response: \(error.message) (curl error \(error.code))"
        case .invalidResponse(let status, let reason):
            text += "unreadable \(status) response: \(reason)"
        case .deadlineExceeded:
            text += "not sent: the deadline leaves no time for a request"
        }
        if attempts > 1 { text += " (after \(attempts) attempts)" }
        return text
    }

    // MARK: - Predicates

    /// 404 of any kind: missing key, missing bucket, or a HEAD's bodiless 404.
    public var isNotFound: Bool { status == 404 }
    /// The object is missing (the bucket exists). A HEAD 404 counts: it cannot say more.
    public var isNoSuchKey: Bool { status == 404 && (code == "NoSuchKey" || code == "NotFound") }
    public var isNoSuchBucket: Bool { status == 404 && code == "NoSuchBucket" }
    /// 412: an `If-Match` / `If-None-Match` condition did not hold.
    public var isPreconditionFailed: Bool { status == 412 }
    /// 409 on a conditional write (`ConditionalRequestConflict`): someone else is writing the same
    /// key; re-read the ETag and retry. Bucket-creation 409s (`BucketAlready...`) are not this.
    public var isConflict: Bool {
        status == 409 && !(code ?? "").hasPrefix("BucketAlready")
    }
    /// A conditional write lost its race: 412 (the ETag moved on, or the key now exists) or a
    /// 409 conflict. The caller re-reads and re-applies. One predicate on purpose: Swift 6.3's
    /// compiler crashes on `catch where error.isPreconditionFailed || error.isConflict`.
    public var isConditionalWriteLost: Bool { isPreconditionFailed || isConflict }
    /// The request may succeed if sent again: 5xx (not 501), 429, S3's throttling codes,
    /// `RequestTimeout`, and transport failures. 403, 404, 409 and 412 never are.
    public var isRetryable: Bool {
        switch kind {
        case .transport(let error):
            // A refused, reset or timed-out connection may work next time; a bad URL (3), a CA
            // bundle that cannot be read (77) or a certificate that does not verify (58, 60)
            // fails the same way every time, so it is reported at once; so does a body over the
            // transport's limit (63), a misuse of the transport (43: a started request
            // finished twice), and a follow-up held back on purpose (42: its retry would send it).
            return ![3, 42, 43, 58, 60, 63, 77].contains(error.code)
        case .invalidResponse, .deadlineExceeded:
            return false
        case .service(let status, let code, _, _):
            if [403, 404, 409, 412].contains(status) { return false }
            if ["SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "InternalError",
                "ServiceUnavailable", "RequestThrottled", "TooManyRequests"].contains(code) { return true }
            return status == 429 || (status >= 500 && status != 501)
        }
    }
}
