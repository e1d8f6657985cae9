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
        let calls = reads.map {
            Self.getObjectCall(bucket: bucket, key: $0.key, range: $0.range, ifNoneMatch: $0.ifNoneMatch, ifMatch: $0.ifMatch)
        }
        return performAll(calls).map(Self.rangeRead)
    }

    /// One answer of a ranged GET as `getObjectRanges` gives it.
    static func rangeRead(_ result: Result<HTTPResponse, S3Error>) -> Result<S3RangeRead, S3Error> {
        switch result {
        case .success(let response):
            return .success(Self.getObjectResult(response).object.map(S3RangeRead.object) ?? .notModified)
        case .failure(let error) where error.isNoSuchKey: return .success(.missing)
        case .failure(let error) where error.status == 416: return .success(.empty)
        case .failure(let error): return .failure(error)
        }
    }

    /// Each key's metadata (`nil`: 404), one result per key in the order given; like `headObject`.
    public func headObjects(bucket: String, keys: [String]) -> [Result<S3ObjectInfo?, S3Error>] {
        performAll(keys.map { Self.headObjectCall(bucket: bucket, key: $0) }).map { result in
            do throws(S3Error) { return .success(try Self.headObjectResult(result)) } catch { return .failure(error) }
        }
    }
}
