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
