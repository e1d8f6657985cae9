import HTTPClient

/// Object operations on many keys at once: the requests run concurrently on the transport's few
/// kept-alive connections (`maxConcurrentRequests` at a time), retryable failures are resent in
/// rounds within the deadline, and each key gets its own result, so one key's permanent error
/// (403, an archived object) never fails the others.
extension S3Client {
    /// One ranged GET of `getObjectRanges`.
    public struct RangeGet: Sendable {
        public var key: String
        public var range: S3ByteRange
        /// The ETag (quoted) the object must still have: a replaced object answers 412.
        public var ifMatch: String?
        /// The ETag (quoted) a caller already has: an unchanged object answers 304, no bytes.
        public var ifNoneMatch: String?

        public init(key: String, range: S3ByteRange, ifMatch: String? = nil, ifNoneMatch: String? = nil) {
            self.key = key
            self.range = range
            self.ifMatch = ifMatch
            self.ifNoneMatch = ifNoneMatch
        }
    }

    /// Ranged GETs of many keys, each with its own range and conditions (`If-Match` so that all
    /// of a key's bytes come from one version; `If-None-Match` so that an unchanged object costs
    /// no bytes). One result per read, in the order given: a range past the end (or any range of
    /// an empty object) is `.empty`, a missing key `.missing`, a 304 `.notModified`.
    public func getObjectRanges(bucket: String, reads: [RangeGet]) -> [Result<S3RangeRead, S3Error>] {
        Self.rangeReads(reads, performAll(reads.map { Self.getObjectCall(bucket: bucket, $0) }), bucket: bucket)
    }

    /// The answers to `reads`, in their order, each as `rangeRead` gives it.
    static func rangeReads(_ reads: [RangeGet], _ answers: some Sequence<Result<HTTPResponse, S3Error>>,
                           bucket: String) -> [Result<S3RangeRead, S3Error>] {
        zip(reads, answers).map { rangeRead($0, $1, bucket: bucket) }
    }

    static func getObjectCall(bucket: String, _ read: RangeGet) -> Call {
        getObjectCall(bucket: bucket, key: read.key, range: read.range, ifNoneMatch: read.ifNoneMatch, ifMatch: read.ifMatch)
    }

    /// One answer of a ranged GET as `getObjectRanges` gives it. The bytes must be the ones asked
    /// for: a 206 whose `Content-Range` starts elsewhere, or a whole object (200) for a range
    /// that does not start at byte 0 (a server that ignores ranges), is an invalid answer, not
    /// bytes read at the wrong offset. So is a body past the read's limit (`maxBodyBytes`: curl
    /// stops it): the same server, with a bigger object. The key's own answer, not the bucket's.
    static func rangeRead(_ read: RangeGet, _ result: Result<HTTPResponse, S3Error>, bucket: String) -> Result<S3RangeRead, S3Error> {
        func invalid(_ status: Int, _ reason: String) -> Result<S3RangeRead, S3Error> {
            .failure(S3Error(operation: "GetObject", bucket: bucket, key: read.key, kind: .invalidResponse(status: status, reason: reason)))
        }
        switch result {
        case .success(let response):
            let startsRight = response.status == 206
                ? response.header("content-range").flatMap(S3ObjectInfo.firstByte(fromContentRange:)) == read.range.first
                : response.status != 200 || read.range.first == 0
            guard startsRight, read.range.length.map({ Int64(response.body.count) <= $0 }) ?? true else {
                return invalid(response.status, "asked for \(read.range.headerValue), got \(response.body.count) bytes at "
                                                   + (response.header("content-range") ?? "no Content-Range"))
            }
            return .success(Self.getObjectResult(response).object.map(S3RangeRead.object) ?? .notModified)
        case .failure(let error) where error.isNoSuchKey: return .success(.missing)
        case .failure(let error) where error.status == 416: return .success(.empty)
        case .failure(let error):
            guard case .transport(let failure) = error.kind, failure.isBodyTooLarge else { return .failure(error) }
            return invalid(200, "asked for \(read.range.headerValue), got a longer body (the server ignores Range)")
        }
    }

    /// Each key's metadata (`nil`: 404), one result per key in the order given; like `headObject`.
    public func headObjects(bucket: String, keys: [String]) -> [Result<S3ObjectInfo?, S3Error>] {
        performAll(keys.map { Self.headObjectCall(bucket: bucket, key: $0) }).map { result in
            do throws(S3Error) { return .success(try Self.headObjectResult(result)) } catch { return .failure(error) }
        }
    }
}
