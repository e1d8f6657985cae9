/// Object operations on many keys at once: the requests run concurrently on the transport's few
/// kept-alive connections (`maxConcurrentRequests` at a time), retryable failures are resent in
/// rounds within the deadline, and each key gets its own result, so one key's permanent error
/// (403, an archived object) never fails the others.
extension S3Client {
    /// Ranged GETs of many keys, each with its own range and optional `If-Match` (the ETag of
    /// an earlier read of the same key, so that all of a key's bytes come from one version: a
    /// replaced object answers with a 412 error). One result per read, in the order given: a
    /// range past the end (or any range of an empty object) is `.empty`, a missing key `.missing`.
    public func getObjectRanges(bucket: String, reads: [(key: String, range: S3ByteRange, ifMatch: String?)])
        -> [Result<S3RangeRead, S3Error>] {
        let calls = reads.map { Self.getObjectCall(bucket: bucket, key: $0.key, range: $0.range, ifNoneMatch: nil, ifMatch: $0.ifMatch) }
        return performAll(calls).map { result in
            switch result {
            case .success(let response):
                // Without If-None-Match every accepted answer is an object.
                return .success(Self.getObjectResult(response).object.map(S3RangeRead.object) ?? .missing)
            case .failure(let error) where error.isNoSuchKey: return .success(.missing)
            case .failure(let error) where error.status == 416: return .success(.empty)
            case .failure(let error): return .failure(error)
            }
        }
    }

    /// Each key's metadata (`nil`: 404), one result per key in the order given; like `headObject`.
    public func headObjects(bucket: String, keys: [String]) -> [Result<S3ObjectInfo?, S3Error>] {
        performAll(keys.map { Self.headObjectCall(bucket: bucket, key: $0) }).map { result in
            do throws(S3Error) { return .success(try Self.headObjectResult(result)) } catch { return .failure(error) }
        }
    }
}
