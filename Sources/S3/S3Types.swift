/// The values S3 operations return. ETags are kept exactly as S3 sends them, quotes included,
/// because that is the form `If-Match` / `If-None-Match` must send back.
import HTTPClient

/// An object's metadata, from HEAD or from a GET's headers.
public struct S3ObjectInfo: Sendable, Equatable {
    /// HTTP status of the answer (200, or 206 for a ranged GET).
    public var status: Int
    public var etag: String?
    /// Bytes in this response's body (the range's length for a ranged GET).
    public var contentLength: Int64
    /// Size of the whole object: from `Content-Range` on a 206, else the content length.
    public var totalSize: Int64
    /// `Last-Modified` as S3 sends it (an HTTP date).
    public var lastModified: String?
    public var contentType: String?
    /// `Content-Range` of a 206, e.g. `bytes 0-9/1234`.
    public var contentRange: String?

    public init(status: Int, etag: String?, contentLength: Int64, totalSize: Int64,
                lastModified: String?, contentType: String?, contentRange: String? = nil) {
        self.status = status
        self.etag = etag
        self.contentLength = contentLength
        self.totalSize = totalSize
        self.lastModified = lastModified
        self.contentType = contentType
        self.contentRange = contentRange
    }

    init(response: HTTPResponse) {
        let length = response.header("content-length").flatMap { Int64($0) } ?? Int64(response.body.count)
        let range = response.header("content-range")
        self.init(status: response.status, etag: response.header("etag"), contentLength: length,
                  totalSize: range.flatMap(Self.totalSize(fromContentRange:)) ?? length,
                  lastModified: response.header("last-modified"), contentType: response.header("content-type"),
                  contentRange: range)
    }

    /// `bytes 0-9/1234` → 1234; `bytes 0-9/*` → nil.
    static func totalSize(fromContentRange value: String) -> Int64? {
        guard let slash = value.lastIndex(of: "/") else { return nil }
        return Int64(value[value.index(after: slash)...])
    }
}

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

/// An inclusive byte range for GetObject: `bytes=first-last`, or `bytes=first-` to the end.
public struct S3ByteRange: Sendable, Equatable {
    public var first: Int64
    public var last: Int64?

    public init(first: Int64, last: Int64? = nil) {
        self.first = first
        self.last = last
    }

    public var headerValue: String { "bytes=\(first)-" + (last.map(String.init) ?? "") }
}

/// Conditions for PutObject: S3's compare-and-swap.
public enum S3WriteCondition: Sendable, Equatable {
    /// Write only if the object's current ETag is this one (`If-Match`).
    case ifMatch(String)
    /// Write only if no object exists under the key (`If-None-Match: *`).
    case ifNoneExists
}

public struct S3PutObjectResult: Sendable, Equatable {
    public var status: Int
    /// The new object's ETag, quotes included.
    public var etag: String

    public init(status: Int, etag: String) {
        self.status = status
        self.etag = etag
    }
}

/// One object in a listing.
public struct S3ListEntry: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var etag: String?
    public var lastModified: String?

    public init(key: String, size: Int64, etag: String?, lastModified: String?) {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
    }
}

/// One ListObjectsV2 page.
public struct S3ListPage: Sendable, Equatable {
    public var entries: [S3ListEntry]
    public var isTruncated: Bool
    /// Pass to the next call to get the next page; set when `isTruncated`.
    public var nextContinuationToken: String?

    public init(entries: [S3ListEntry], isTruncated: Bool, nextContinuationToken: String?) {
        self.entries = entries
        self.isTruncated = isTruncated
        self.nextContinuationToken = nextContinuationToken
    }
}

public enum S3CreateBucketResult: Sendable, Equatable {
    case created
    /// 409 BucketAlreadyOwnedByYou: fine for setup scripts and tests.
    case alreadyOwnedByYou
}
