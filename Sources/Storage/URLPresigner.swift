import HTTPClient

/// Signs URLs that let a browser use one object directly with S3, so images never flow through
/// the function (Lambda's 6 MB payload limit) and the bucket never needs public access.
///
/// Separate from `ObjectStore` on purpose: the store is what the function itself reads and
/// writes; a presigned URL is authority handed to the caller, and every key given to it is
/// checked first (the API's `UploadPolicy`).
public protocol URLPresigner {
    /// A URL for `method` on `key`, signed as of `signedAt` (epoch seconds) and valid for
    /// `expiresInSeconds` from then. `headers` are signed: the request must send them unchanged.
    /// `query` (e.g. `response-content-disposition`) is signed into the URL too.
    func presignedURL(method: String, bucket: String, key: String, query: [(name: String, value: String)],
                      headers: [HTTPHeader], signedAt: Int64, expiresInSeconds: Int) -> String
}
