import Basics
import HTTPClient
import SigV4

/// A small S3 REST client over `HTTPTransport`: signs every request (SigV4), retries what is worth
/// retrying within the caller's deadline, and turns error answers into `S3Error`. The operations
/// themselves live in the `S3Client+*.swift` files; the retry loop they all go through in
/// `S3Client+Retry.swift`.
///
/// Not thread-safe, like the transport it holds: one client per thread (the Lambda loop has one).
public final class S3Client {
    public let configuration: S3Configuration
    public let addressing: S3Addressing
    public var retryPolicy: S3RetryPolicy
    /// No request is started, and no retry slept for, that could not end by then (the Lambda
    /// invocation's work deadline). `nil`: only `retryPolicy.maxAttempts` bounds the retries.
    public var deadline: Deadline?
    /// Limit for one request, further shortened to fit the deadline. `nil`: no limit of its own.
    public var requestTimeoutMs: Int?
    /// Requests a batch operation (`headObjects`, `getObjectRanges`) keeps in flight at once, and
    /// so the most connections it opens. 32: with S3 10–30 ms away a batch costs
    /// `ceil(keys / 32)` round trips (an SQS batch of 100 keys: 4, about 80 ms), while the
    /// connections stay few enough that a cold start's TLS handshakes (a few ms of CPU each at
    /// 128 MB) and their buffers (tens of KB each) stay small next to the round trips saved;
    /// twice as many would save one round trip per 100 keys and double both.
    public var maxConcurrentRequests = 32
    /// The invocation's X-Ray trace header (`Root=1-…;Parent=…;Sampled=…`), sent unsigned as
    /// `X-Amzn-Trace-Id` on every request, as AWS SDKs do inside Lambda: S3 passes it on with
    /// the notifications a write causes, and Lambda's recursive-loop detection follows it.
    /// Set per invocation by whoever owns the client; `nil` sends none.
    public var traceHeader: String?
    public var hooks: S3ClientHooks
    let transport: HTTPTransport

    public init(configuration: S3Configuration, transport: HTTPTransport,
                retryPolicy: S3RetryPolicy = .standard, requestTimeoutMs: Int? = 30_000,
                hooks: S3ClientHooks = .system) {
        self.configuration = configuration
        self.addressing = S3Addressing(region: configuration.region, endpoint: configuration.endpoint)
        self.transport = transport
        self.retryPolicy = retryPolicy
        self.requestTimeoutMs = requestTimeoutMs
        self.hooks = hooks
    }

    /// One S3 call, before addressing and signing.
    struct Call {
        var operation: String
        var method: String
        var bucket: String
        var key: String?
        var query: [(name: String, value: String)] = []
        var headers: [HTTPHeader] = []
        var body: [UInt8] = []
        /// Statuses that are answers, not errors. Everything else becomes an `S3Error`.
        var accept: (Int) -> Bool = { (200..<300).contains($0) }
        /// Whether an accepted answer is an error after all: S3 answers `CompleteMultipartUpload`
        /// and `UploadPartCopy` with 200 before it knows the outcome, and puts an `<Error>` in
        /// the body when they fail.
        var errorInBody = false
        /// Whether the body is an object's bytes (PutObject, UploadPart): sent over HTTPS with
        /// `UNSIGNED-PAYLOAD` (see `payloadHash(of:at:)`).
        var carriesObjectBytes = false
        /// The most bytes the answer's body may hold (`nil`: the transport's default).
        var maxBodyBytes: Int?
    }

    /// Signs and sends `call`, retrying retryable failures; returns the first accepted response.
    /// One call is a batch of one: `performAll` holds the retry loop for both.
    func perform(_ call: Call) throws(S3Error) -> HTTPResponse {
        try performAll([call])[0].get()
    }
}

extension S3Error {
    /// Reads S3's XML error body (`<Error><Code>…<Message>…<RequestId>…`). Bodiless answers (HEAD,
    /// some proxies) get a code named after the status.
    init(_ call: S3Client.Call, response: HTTPResponse, attempts: Int) {
        let body = response.body[...]
        let code = XMLExtractor.firstText("Code", in: body).flatMap { $0.isEmpty ? nil : $0 }
            ?? Self.codeForStatus(response.status)
        let message = XMLExtractor.firstText("Message", in: body) ?? ""
        let requestId = response.header("x-amz-request-id") ?? XMLExtractor.firstText("RequestId", in: body)
        self.init(operation: call.operation, bucket: call.bucket, key: call.key,
                  kind: .service(status: response.status, code: code, message: message, requestId: requestId),
                  attempts: attempts)
    }

    /// The `<Error>` S3 may send with a 200 (see `Call.errorInBody`), as the status its code
    /// stands for, so that retrying and 412/409 handling work as for any other answer.
    init?(_ call: S3Client.Call, errorInBody response: HTTPResponse, attempts: Int) {
        let body = response.body[...]
        guard let error = XMLExtractor.elements("Error", in: body).first,
              let code = XMLExtractor.firstText("Code", in: error) else { return nil }
        let status = switch code {
        case "PreconditionFailed": 412
        case "ConditionalRequestConflict", "OperationAborted": 409
        case "NoSuchUpload", "NoSuchKey": 404
        case "SlowDown": 503
        case "InvalidPart", "InvalidPartOrder", "EntityTooSmall", "InvalidRequest", "InvalidArgument": 400
        case "AccessDenied": 403
        default: 500
        }
        self.init(operation: call.operation, bucket: call.bucket, key: call.key,
                  kind: .service(status: status, code: code, message: XMLExtractor.firstText("Message", in: error) ?? "",
                                 requestId: response.header("x-amz-request-id") ?? XMLExtractor.firstText("RequestId", in: error)),
                  attempts: attempts)
    }

    static func codeForStatus(_ status: Int) -> String {
        switch status {
        case 301: "PermanentRedirect"
        case 304: "NotModified"
        case 400: "BadRequest"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 405: "MethodNotAllowed"
        case 409: "Conflict"
        case 412: "PreconditionFailed"
        case 416: "InvalidRange"
        case 429: "TooManyRequests"
        case 500: "InternalError"
        case 503: "ServiceUnavailable"
        default: "HTTP\(status)"
        }
    }
}
