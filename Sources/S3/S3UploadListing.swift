/// One multipart upload in progress, as ListMultipartUploads lists it.
public struct S3UploadListing: Sendable, Equatable {
    public var key: String
    public var uploadID: String
    /// ISO 8601, as the server wrote it (`2026-12-06T02:57:18Z` or `…18.000Z`).
    public var initiated: String

    public init(key: String, uploadID: String, initiated: String) {
        self.key = key
        self.uploadID = uploadID
        self.initiated = initiated
    }
}
