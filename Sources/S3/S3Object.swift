import HTTPClient

/// A fetched object: metadata and body.
public struct S3Object: Sendable, Equatable {
    public var info: S3ObjectInfo
    public var body: [UInt8]

    public init(info: S3ObjectInfo, body: [UInt8]) {
        self.info = info
        self.body = body
    }

    public var status: Int { info.status }
    public var etag: String? { info.etag }
    public var contentLength: Int64 { info.contentLength }
    public var totalSize: Int64 { info.totalSize }
    public var lastModified: String? { info.lastModified }
    public var contentType: String? { info.contentType }
}

/// GetObject's outcome: the object, or "unchanged" when `If-None-Match` matched (304).
public enum S3GetObjectResult: Sendable, Equatable {
    case object(S3Object)
    case notModified(etag: String?)

    public var object: S3Object? {
        if case .object(let object) = self { object } else { nil }
    }
}
