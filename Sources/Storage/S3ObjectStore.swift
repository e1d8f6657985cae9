import Basics
import HTTPClient
import S3

/// `ObjectStore` and `URLPresigner` on the real S3 client: the one place where S3's answers
/// become the store's typed outcomes (quotes off ETags, HTTP dates to ISO 8601, 404s to
/// `.missing`, lost conditions to `.conflict`).
public final class S3ObjectStore: ObjectStore, URLPresigner {
    public let client: S3Client
    /// Deletes in flight (`deleteInBackground`) until `settle`, with the key each deletes.
    private var inBackground: [(bucket: String, key: String, delete: S3Client.StartedCall)] = []
    /// Uploads to abort at `settle`, each after its part still in flight (`abortInBackground`).
    private var toAbort: [(bucket: String, key: String, uploadID: String, after: StartedPart?)] = []

    /// Whether reads run with a role that may not list the bucket: S3 then answers a read of a
    /// missing key with 403 AccessDenied, not 404 (AWS documents this), and such a 403 is taken
    /// for `.missing`. The API's role lists nothing on purpose (a listing of `users/` would show
    /// every sub); a 500 for a catalog that does not exist yet (a new stack) was the result.
    public let forbiddenIsMissing: Bool

    public init(client: S3Client, forbiddenIsMissing: Bool = false) {
        self.client = client
        self.forbiddenIsMissing = forbiddenIsMissing
    }

    /// Whether `error` says the key is not there, as this role hears it.
    private func isMissing(_ error: S3Error) -> Bool {
        error.isNoSuchKey || (forbiddenIsMissing && error.status == 403 && error.code == "AccessDenied")
    }

    /// Only AWS's own S3 (no custom endpoint) is trusted to list exactly.
    public var listingsAreExact: Bool { client.configuration.endpoint == nil }

    /// Only AWS's own S3 is trusted to complete uploads atomically.
    public var completionsAreAtomic: Bool { client.configuration.endpoint == nil }

    public var deadline: Deadline? {
        get { client.deadline }
        set { client.deadline = newValue }
    }

    public var traceHeader: String? {
        get { client.traceHeader }
        set { client.traceHeader = newValue }
    }

    public func read(bucket: String, key: String, ifNoneMatch: String?) throws -> StoredRead {
        do {
            switch try client.getObject(bucket: bucket, key: key, ifNoneMatch: ifNoneMatch.map(Self.quoted)) {
            case .notModified:
                return .notModified(etag: ifNoneMatch ?? "")
            case .object(let object):
                // S3 always sends an ETag; a server that does not still gets a stable validator.
                let etag = object.etag.map { ETag.unquoted($0) } ?? "h" + StableHash.hex(object.body)
                return .found(bytes: object.body, etag: etag)
            }
        } catch {
            // (Not `catch where`: that pattern crashes the 6.3 compiler on typed throws.)
            if isMissing(error) { return .missing }
            throw error
        }
    }

    public func write(bucket: String, key: String, bytes: [UInt8], contentType: String, ifMatch: String?) throws -> StoredWrite {
        settle(bucket: bucket, key: key)
        do {
            let result = try client.putObject(bucket: bucket, key: key, body: bytes, contentType: contentType,
                                              condition: ifMatch.map { .ifMatch(Self.quoted($0)) } ?? .ifNoneExists)
            return .written(etag: ETag.unquoted(result.etag))
        } catch {
            if let lost = Self.conflict(error, ifMatch: ifMatch) { return lost }
            throw error
        }
    }

    public func readRanges(bucket: String, reads: [RangeRequest]) -> [Result<RangeRead, KeyReadError>] {
        client.getObjectRanges(bucket: bucket, reads: reads.map(Self.rangeGet)).map(rangeRead)
    }

    public func readRanges(bucket: String, reads: [RangeRequest], startingUploadOf key: String,
                           contentType: String) -> (reads: [Result<RangeRead, KeyReadError>], upload: Result<String, any Error>) {
        let (answers, upload) = client.getObjectRanges(bucket: bucket, reads: reads.map(Self.rangeGet), creatingUploadOf: key,
                                                       contentType: contentType)
        return (answers.map(rangeRead), upload.mapError { $0 })
    }

    private static func rangeGet(_ read: RangeRequest) -> S3Client.RangeGet {
        S3Client.RangeGet(key: read.key, range: S3ByteRange(first: read.range.lowerBound, last: read.range.upperBound - 1),
                          ifMatch: read.ifMatch.map(quoted), ifNoneMatch: read.ifNoneMatch.map(quoted))
    }

    private func rangeRead(_ answer: Result<S3RangeRead, S3Error>) -> Result<RangeRead, KeyReadError> {
        switch answer {
        case .success(.object(let object)):
            return .success(.bytes(object.body, version: Self.version(of: object.info), totalSize: object.totalSize))
        case .success(.empty): return .success(.empty)
        case .success(.missing): return .success(.missing)
        case .success(.notModified): return .success(.notModified)
        case .failure(let error):
            if error.isPreconditionFailed { return .success(.changed) }
            if isMissing(error) { return .success(.missing) }
            return .failure(KeyReadError(error))
        }
    }

    public func heads(bucket: String, keys: [String]) -> [Result<(version: ObjectVersion, size: Int64)?, KeyReadError>] {
        client.headObjects(bucket: bucket, keys: keys).map { answer in
            switch answer {
            case .success(let info): .success(info.map { (Self.version(of: $0), $0.totalSize) })
            case .failure(let error): .failure(KeyReadError(error))
            }
        }
    }

    public func listPage(bucket: String, prefix: String, startAfter: String?, continuation: String?, maxKeys: Int) throws -> ListedPage {
        let page = try client.listObjectsV2(bucket: bucket, prefix: prefix.isEmpty ? nil : prefix,
                                            continuationToken: continuation, startAfter: startAfter, maxKeys: maxKeys)
        return ListedPage(objects: page.entries.map {
            ListedObject(key: $0.key, size: $0.size,
                         version: ObjectVersion(etag: $0.etag.map { ETag.unquoted($0) } ?? "",
                                                lastModified: $0.lastModified.map(ObjectVersion.seconds)))
        }, isTruncated: page.isTruncated, continuation: page.nextContinuationToken)
    }

    public func delete(bucket: String, key: String) throws {
        try client.deleteObject(bucket: bucket, key: key)
    }

    public func deleteInBackground(bucket: String, key: String) {
        inBackground.append((bucket, key, client.startDeleteObject(bucket: bucket, key: key)))
    }

    public func abortInBackground(bucket: String, key: String, uploadID: String, after started: StartedPart?) {
        toAbort.append((bucket, key, uploadID, started))
    }

    public func settle() {
        for pending in inBackground { _ = try? client.finishDeleteObject(pending.delete) }
        inBackground = []
        for pending in toAbort {
            _ = try? pending.after?.etag()
            _ = try? abortUpload(bucket: pending.bucket, key: pending.key, uploadID: pending.uploadID)
        }
        toAbort = []
    }

    /// Collects a delete of `key` still in flight before `key` is written: sent earlier, it must
    /// not land after the write. (Same bytes, same ETag: the index dropped for a version can be
    /// the index of the next one, written again under the same key.)
    private func settle(bucket: String, key: String) {
        let same = inBackground.filter { $0.bucket == bucket && $0.key == key }
        guard !same.isEmpty else { return }
        inBackground.removeAll { $0.bucket == bucket && $0.key == key }
        for pending in same { _ = try? client.finishDeleteObject(pending.delete) }
    }

    public func startUpload(bucket: String, key: String, contentType: String) throws -> String {
        try client.createMultipartUpload(bucket: bucket, key: key, contentType: contentType)
    }

    public func uploadParts(bucket: String, key: String, uploadID: String, parts: [UploadPart]) throws -> [String]? {
        try uploadParts(bucket: bucket, key: key, uploadID: uploadID, parts: parts, readingRanges: []).etags
    }

    public func uploadParts(bucket: String, key: String, uploadID: String, parts: [UploadPart], readingRanges reads: [RangeRequest])
        throws -> (etags: [String]?, reads: [Result<RangeRead, KeyReadError>]) {
        let (sent, answers) = client.uploadParts(bucket: bucket, key: key, uploadID: uploadID, parts: parts.map(Self.s3Part),
                                                 reading: reads.map(Self.rangeGet))
        var etags: [String]? = []
        for result in sent {
            guard let etag = try Self.partETag(result) else { etags = nil; continue }
            etags?.append(etag)
        }
        return (etags, answers.map(rangeRead))
    }

    public func startPart(bucket: String, key: String, uploadID: String, part: UploadPart) -> StartedPart {
        collected(client.startUploadPart(bucket: bucket, key: key, uploadID: uploadID, part: Self.s3Part(part)))
    }

    /// The part `started`, its ETag collected when asked for.
    private func collected(_ started: S3Client.StartedCall) -> StartedPart {
        StartedPart { [client] in Result { try Self.partETag(client.finishUploadPart(started)) } }
    }

    public func startUpload(bucket: String, key: String, contentType: String, thenPart part: UploadPart) -> StartedUpload {
        let started = client.startCreatingUpload(bucket: bucket, key: key, contentType: contentType, thenPart: Self.s3Part(part))
        return StartedUpload { [self] in
            client.finishCreatingUpload(started).map { upload in (upload.uploadID, collected(upload.part)) }.mapError { $0 as any Error }
        }
    }

    private static func s3Part(_ part: UploadPart) -> S3Client.Part {
        switch part.source {
        case .bytes(let bytes):
            S3Client.Part(number: part.number, source: .bytes(bytes))
        case .copy(let source, let range, let ifMatch):
            S3Client.Part(number: part.number, source: .copy(key: source, range: S3ByteRange(first: range.lowerBound, last: range.upperBound - 1),
                                                              ifMatch: Self.quoted(ifMatch)))
        }
    }

    /// A part's ETag, unquoted; `nil` for a copy whose source is no longer the version named.
    private static func partETag(_ result: Result<String, S3Error>) throws(S3Error) -> String? {
        switch result {
        case .success(let etag): return ETag.unquoted(etag)
        case .failure(let error) where error.isPreconditionFailed: return nil
        case .failure(let error): throw error
        }
    }

    public func completeUpload(bucket: String, key: String, uploadID: String, partETags: [String], ifMatch: String?) throws -> StoredWrite {
        do {
            let etag = try client.completeMultipartUpload(bucket: bucket, key: key, uploadID: uploadID,
                                                          partETags: partETags.map(Self.quoted),
                                                          condition: ifMatch.map { .ifMatch(Self.quoted($0)) } ?? .ifNoneExists)
            return .written(etag: ETag.unquoted(etag))
        } catch {
            if let lost = Self.conflict(error, ifMatch: ifMatch) { return lost }
            throw error
        }
    }

    public func completeUpload(bucket: String, key: String, uploadID: String, partETags: [String], ifMatch: String?,
                               writing companion: String, bytes: [UInt8], contentType: String) throws -> (outcome: StoredWrite, companionWritten: Bool) {
        settle(bucket: bucket, key: companion)
        let (completed, put) = client.completeMultipartUpload(
            bucket: bucket, key: key, uploadID: uploadID, partETags: partETags.map(Self.quoted),
            condition: ifMatch.map { .ifMatch(Self.quoted($0)) } ?? .ifNoneExists, putting: companion, body: bytes, contentType: contentType)
        let written: Bool
        if case .success = put { written = true } else { written = false }
        switch completed {
        case .success(let etag): return (.written(etag: ETag.unquoted(etag)), written)
        case .failure(let error):
            if let lost = Self.conflict(error, ifMatch: ifMatch) { return (lost, written) }
            throw error
        }
    }

    public func abortUpload(bucket: String, key: String, uploadID: String) throws {
        try client.abortMultipartUpload(bucket: bucket, key: key, uploadID: uploadID)
    }

    public func uploadsInProgress(bucket: String, key: String) throws -> [UploadInProgress] {
        Self.uploads(of: key, in: try client.listMultipartUploads(bucket: bucket, prefix: key))
    }

    public func readRanges(bucket: String, reads: [RangeRequest], listingUploadsOf key: String)
        -> (reads: [Result<RangeRead, KeyReadError>], uploads: Result<[UploadInProgress], any Error>) {
        let (answers, listed) = client.getObjectRanges(bucket: bucket, reads: reads.map(Self.rangeGet), listingUploadsUnder: key)
        return (answers.map(rangeRead), listed.map { Self.uploads(of: key, in: $0) }.mapError { $0 })
    }

    /// The listed uploads of exactly `key` (a prefix listing also finds `key.index/…`). One whose
    /// start time cannot be read is left out: the listing only decides whether a writer waits,
    /// and not waiting is always safe.
    private static func uploads(of key: String, in listed: [S3UploadListing]) -> [UploadInProgress] {
        listed.compactMap { upload in
            guard ExactKey(upload.key) == ExactKey(key), let ms = UTCTime.epochMilliseconds(iso8601: upload.initiated) else { return nil }
            return UploadInProgress(id: upload.uploadID, initiatedMs: ms)
        }
    }

    public func predictedETag(ofBytes bytes: ArraySlice<UInt8>) -> String? {
        ETag.unquoted(S3Client.predictedETag(ofBody: bytes))
    }

    public func predictedETag(ofParts partETags: [String]) -> String? {
        S3Client.predictedETag(ofParts: partETags).map { ETag.unquoted($0) }
    }

    /// Presigned URLs from the same client, credentials and endpoint the store reads with: on
    /// Lambda the role's temporary credentials (the session token is signed into the URL, which
    /// therefore stops working when those credentials expire, at the latest), locally the custom
    /// endpoint. An explicit signing time keeps URLs identical within a window.
    public func presignedURL(method: String, bucket: String, key: String, query: [(name: String, value: String)],
                             headers: [HTTPHeader], signedAt: Int64, expiresInSeconds: Int) -> String {
        client.presignedURL(method: method, bucket: bucket, key: key, expiresInSeconds: expiresInSeconds,
                            query: query, headers: headers, signedAt: signedAt)
    }

    static func version(of info: S3ObjectInfo) -> ObjectVersion {
        ObjectVersion(etag: info.etag.map { ETag.unquoted($0) } ?? "",
                      lastModified: info.lastModified.flatMap { UTCTime.iso8601(fromHTTPDate: $0) })
    }

    static func quoted(_ etag: String) -> String { "\"" + etag + "\"" }

    /// A conditional write another writer won, as `.conflict`; `nil` for any other error.
    /// `retried` when the losing answer came to a retry, ours or libcurl's (`S3Error.attempts`):
    /// the request before it may have landed. AWS answers `If-Match` on a key that is gone
    /// with 404 NoSuchKey, not 412 (as SeaweedFS does): lost all the same, to a delete.
    static func conflict(_ error: S3Error, ifMatch: String?) -> StoredWrite? {
        error.isConditionalWriteLost || (ifMatch != nil && error.isNoSuchKey) ? .conflict(retried: error.attempts > 1) : nil
    }
}
