import S3

/// Presigned URLs from the same client, credentials and endpoint the store reads with: on Lambda
/// the role's temporary credentials (the session token is signed into the URL, which therefore
/// stops working when those credentials expire, at the latest), locally the custom endpoint.
extension APIS3Store: APIPresigner {
    public func presignedURL(method: String, key: String, headers: [(name: String, value: String)],
                             signedAt: Int64, expiresInSeconds: Int) -> String {
        // The S3 client signs with its hooks' clock; an explicit signing time keeps viewing URLs
        // identical within a window (see `APIViewWindow`). The client is used by one thread only.
        let saved = client.hooks.signingClock
        client.hooks.signingClock = { signedAt }
        defer { client.hooks.signingClock = saved }
        return client.presignedURL(method: method, bucket: bucket, key: key,
                                   expiresInSeconds: expiresInSeconds, headers: headers)
    }
}
