/// What one ranged GET found (`S3Client.getObjectRanges`): the bytes, an empty object, or no
/// object. Other failures are the batch result's error.
public enum S3RangeRead: Sendable, Equatable {
    /// The bytes of the range (fewer at the object's end) and the object's metadata;
    /// `totalSize` is the whole object's size, from `Content-Range`.
    case object(S3Object)
    /// 416: a range from byte 0 cannot be satisfied, so the object exists and is empty. A GET's
    /// 416 carries no ETag; HEAD the key when one is needed.
    case empty
    /// 404 `NoSuchKey`: no object under the key (a missing bucket stays an error).
    case missing
    /// 304: the object still has the ETag given as `If-None-Match`.
    case notModified

    public var object: S3Object? {
        if case .object(let object) = self { object } else { nil }
    }
}
