/// One HTTP request, as bytes: no Foundation, so the Lambda binary stays small.
public struct HTTPRequest: Sendable {
    public var method: String
    /// Absolute URL, already percent-encoded as it must go on the wire.
    public var url: String
    /// Header fields in the order they are sent.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Whole-transfer limit in milliseconds; `nil` waits forever (the Runtime API's long poll).
    public var timeoutMs: Int?

    public init(method: String, url: String, headers: [(name: String, value: String)] = [],
                body: [UInt8] = [], timeoutMs: Int? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMs = timeoutMs
    }
}

public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    /// Header fields as received, names lower-cased.
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of a header, looked up case-insensitively.
    public func header(_ name: String) -> String? {
        let name = name.lowercased()
        return headers.first { $0.name == name }?.value
    }
}

public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name.lowercased()
        self.value = value
    }
}

/// The request never got an HTTP answer: refused, reset, timed out, TLS failed.
/// Any HTTP status, 5xx included, is a response, not this error.
public struct HTTPTransportError: Error, Sendable, CustomStringConvertible {
    /// libcurl's `CURLcode`, kept so callers can tell a timeout (28) from a refusal (7).
    public var code: Int
    public var message: String
    public var method: String
    public var url: String

    public init(code: Int, message: String, method: String, url: String) {
        self.code = code
        self.message = message
        self.method = method
        self.url = url
    }

    public var isTimeout: Bool { code == 28 }
    public var description: String { "\(method) \(url): \(message) (curl error \(code))" }
}

/// Something that answers HTTP requests: libcurl in production, recorded fixtures in tests.
public protocol HTTPTransport: AnyObject {
    func send(_ request: HTTPRequest) throws(HTTPTransportError) -> HTTPResponse
}
