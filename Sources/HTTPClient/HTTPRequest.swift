/// One HTTP request, as bytes: no Foundation, so the Lambda binary stays small.
public struct HTTPRequest: Sendable {
    public var method: String
    /// Absolute URL, already percent-encoded as it must go on the wire.
    public var url: String
    /// Header fields in the order they are sent.
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    /// Whole-transfer limit in milliseconds; `nil` waits forever (the Runtime API's long poll).
    public var timeoutMs: Int?
    /// Most response-body bytes read into memory; a longer body aborts the transfer with
    /// `HTTPTransportError.isBodyTooLarge`. `nil`: the transport's default limit.
    public var maxBodyBytes: Int?

    public init(method: String, url: String, headers: [HTTPHeader] = [],
                body: [UInt8] = [], timeoutMs: Int? = nil, maxBodyBytes: Int? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMs = timeoutMs
        self.maxBodyBytes = maxBodyBytes
    }
}
