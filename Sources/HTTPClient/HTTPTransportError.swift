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

    /// `CURLE_FILESIZE_EXCEEDED`, also used when the body outgrew `HTTPRequest.maxBodyBytes`
    /// without announcing its length.
    public static let bodyTooLargeCode = 63

    /// `CURLE_ABORTED_BY_CALLBACK`: a follow-up (`HTTPTransport.start(_:then:)`) the answer
    /// before it did not call for.
    public static let notSentCode = 42

    public static func notSent(after request: HTTPRequest) -> HTTPTransportError {
        HTTPTransportError(code: notSentCode, message: "not sent: the answer to the request before it did not call for it",
                           method: request.method, url: request.url)
    }

    public var isTimeout: Bool { code == 28 }
    /// The answer's body was longer than the request allowed; nothing of it is kept.
    public var isBodyTooLarge: Bool { code == Self.bodyTooLargeCode }
    public var description: String { "\(method) \(url): \(message) (curl error \(code))" }
}
