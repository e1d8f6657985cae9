import HTTPClient

/// An object's metadata, from HEAD or from a GET's headers. ETags are kept exactly as S3 sends
/// them, quotes included, because that is the form `If-Match` / `If-None-Match` must send back.
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
        let length = response.header("content-length").flatMap(Self.size) ?? Int64(response.body.count)
        let range = response.header("content-range")
        self.init(status: response.status, etag: response.header("etag"), contentLength: length,
                  totalSize: range.flatMap(Self.totalSize(fromContentRange:)) ?? length,
                  lastModified: response.header("last-modified"), contentType: response.header("content-type"),
                  contentRange: range)
    }

    /// `bytes 0-9/1234` → 1234; `bytes 0-9/*` → nil.
    static func totalSize(fromContentRange value: String) -> Int64? {
        guard let slash = value.lastIndex(of: "/") else { return nil }
        return size(value[value.index(after: slash)...])
    }

    /// `bytes 10-19/1234` → 10.
    static func firstByte(fromContentRange value: String) -> Int64? {
        guard value.hasPrefix("bytes "), let dash = value.firstIndex(of: "-") else { return nil }
        return size(value[value.index(value.startIndex, offsetBy: 6)..<dash])
    }

    /// A size as S3 writes one (decimal digits); `nil` for anything else, a negative one included.
    static func size(_ text: some StringProtocol) -> Int64? {
        Int64(text).flatMap { $0 >= 0 ? $0 : nil }
    }
}

