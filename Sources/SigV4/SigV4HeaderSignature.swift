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
