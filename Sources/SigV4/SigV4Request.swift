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

/// The ways services differ in SigV4. The defaults are S3's.
public struct SigV4Options: Sendable, Equatable {
    /// Remove `.`/`..` segments and repeated slashes from the path before signing. S3: off.
    public var normalizePath: Bool
    /// Add and sign `x-amz-content-sha256` (header signing). S3 requires it on every request.
    public var addContentSHA256Header: Bool
    /// Sign the session token. Off only for the few services that add it after signing.
    public var signSessionToken: Bool

    public init(normalizePath: Bool = false, addContentSHA256Header: Bool = true, signSessionToken: Bool = true) {
        self.normalizePath = normalizePath
        self.addContentSHA256Header = addContentSHA256Header
        self.signSessionToken = signSessionToken
    }

    public static let s3 = SigV4Options()
}

/// Result of signing with the `Authorization` header.
public struct SigV4HeaderSignature: Sendable {
    public var canonicalRequest: String
    public var stringToSign: String
    public var signature: String
    /// The `Authorization` header's value.
    public var authorization: String
    /// Headers to append to the request, in this order: `X-Amz-Security-Token` (with a session
    /// token), `X-Amz-Date`, `x-amz-content-sha256` (when enabled), `Authorization`.
    public var headers: [(name: String, value: String)]
}

/// Result of presigning (signing in the query string).
public struct SigV4QuerySignature: Sendable {
    public var canonicalRequest: String
    public var stringToSign: String
    public var signature: String
    /// The parameters signing adds, not encoded, in the order AWS tools print them:
    /// Algorithm, Credential, Date, SignedHeaders, Expires, Security-Token, Signature.
    public var addedQuery: [(name: String, value: String)]
    /// The complete encoded query string for the URL: the request's and the signing parameters,
    /// sorted as signed, then `X-Amz-Signature`.
    public var queryString: String
}
