import S3

/// Presigned URLs from the same client, credentials and endpoint the store reads with: on Lambda
/// the role's temporary credentials (the session token is signed into the URL, which therefore
/// stops working when those credentials expire, at the latest), locally the custom endpoint.
extension S3ObjectStore: URLPresigner {
    public func presignedURL(method: String, key: String, query: [(name: String, value: String)],
                             headers: [(name: String, value: String)], signedAt: Int64, expiresInSeconds: Int) -> String {
        // An explicit signing time keeps viewing URLs identical within a window (see `ViewWindow`).
        client.presignedURL(method: method, bucket: bucket, key: key, expiresInSeconds: expiresInSeconds,
                            query: query, headers: headers, signedAt: signedAt)
    }
}
