public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    /// Header fields as received, names lower-cased.
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    /// How long the exchange took, from the request's start (connecting included, when a new
    /// connection was needed) to the answer's last byte, in milliseconds; `nil` when the
    /// transport does not measure it (scripted transports).
    public var durationMs: Double?
    /// The request's body may have gone out more than once: libcurl resends a request on a fresh
    /// connection, unasked, when a kept-alive one dies before any answer, and the server may have
    /// acted on the first (a conditional write's 412 may then be its own first attempt's). Told
    /// by libcurl rewinding the body, so only a request with a body says so (every write that
    /// must know does: a conditional PutObject, a CompleteMultipartUpload).
    public var resent: Bool

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = [], durationMs: Double? = nil, resent: Bool = false) {
        self.status = status
        self.headers = headers.map { header in
            header.name.utf8.contains(where: { (65...90).contains($0) })
                ? HTTPHeader(name: header.name.lowercased(), value: header.value) : header
        }
        self.body = body
        self.durationMs = durationMs
        self.resent = resent
    }

    /// The first value of a header, looked up case-insensitively.
    public func header(_ name: String) -> String? {
        let name = name.lowercased()
        return headers.first { $0.name == name }?.value
    }
}
