import Basics

/// The inputs and outputs of SigV4 signing, kept separate from HTTP so the signer can be checked
/// step by step (canonical request, string to sign, signature) against the AWS test suite.

/// What gets signed. The path is given as it goes on the wire (already percent-encoded) because
/// S3 signs that exact path: no normalisation, no second round of encoding.
public struct SigV4Request: Sendable {
    public var method: String
    /// The URL path as sent, e.g. `/bucket/my%20key` (see `URIEncoding.encodePath`).
    public var encodedPath: String
    /// Query parameters, not encoded; the signer encodes and sorts them.
    public var query: [(name: String, value: String)]
    /// Every header to sign, `Host` included, in any case and order.
    public var headers: [(name: String, value: String)]
    /// Lower-case hex SHA-256 of the body, or `UNSIGNED-PAYLOAD` (presigned S3 URLs).
    public var payloadHash: String

    public init(method: String, encodedPath: String, query: [(name: String, value: String)] = [],
                headers: [(name: String, value: String)], payloadHash: String) {
        self.method = method
        self.encodedPath = encodedPath
        self.query = query
        self.headers = headers
        self.payloadHash = payloadHash
    }
}
