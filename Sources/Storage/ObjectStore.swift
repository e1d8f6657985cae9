import Basics

/// The bucket as the catalog sync and the API use it: whole and ranged reads, versions,
/// listings and compare-and-swap writes, each with a typed outcome. `S3ObjectStore` is the real
/// one; tests use an in-memory one that scripts interleavings no real server can be made to
/// produce on cue.
///
/// Conventions, the same for every operation: ETags are bare (S3's quotes removed; the store
/// adds them back where a header needs them), times are ISO 8601 to the second, and keys are
/// compared byte for byte (`ExactKey`). The batch operations run their requests concurrently
/// (S3 is 10–30 ms away) and answer one result per key, in the order given, so one key's failure
/// never hides another key's answer.
public protocol ObjectStore: AnyObject {
    /// Requests, and their retries, end by then: the invocation's work deadline.
    var deadline: Deadline? { get set }
    /// The invocation's X-Ray trace header, sent with every request (`S3Client.traceHeader`);
    /// `nil` outside Lambda. Set per invocation, like `deadline`.
    var traceHeader: String? { get set }
    /// Whether a listing shows every key exactly as it is stored, so that a key missing from a
    /// listing is gone. True of S3; some S3-compatible servers list `a//b` as `a/b`.
    var listingsAreExact: Bool { get }
    /// Whether a conditional `completeUpload` is atomic: of two racing completions over the same
    /// version, one always loses. True of S3 (409 `ConditionalRequestConflict`); SeaweedFS 4.48
    /// can let both succeed, so a writer there checks afterwards that its version was kept.
    var completionsAreAtomic: Bool { get }

    /// The object's bytes and ETag; `.notModified` when its ETag is still `ifNoneMatch` (a 304:
    /// nothing downloaded), `.missing` when there is no such object.
    func read(bucket: String, key: String, ifNoneMatch: String?) throws -> StoredRead
    /// Writes only if the object is still the version read (`ifMatch`), or still absent
    /// (`ifMatch == nil`). Another writer having won is `.conflict`, not an error. (A condition
    /// that fails on a retry is a conflict too, though the attempt before may have landed, its
    /// answer lost: `retried` says so, and a writer that must know looks for the ETag it
    /// predicted in the current version or its ancestors.)
    func write(bucket: String, key: String, bytes: [UInt8], contentType: String, ifMatch: String?) throws -> StoredWrite
    /// Byte ranges of many objects at once, each optionally pinned to a version (`ifMatch`).
    func readRanges(bucket: String, reads: [RangeRequest]) -> [Result<RangeRead, KeyReadError>]
    /// Each key's current version and size (`nil`: no such object): HEAD requests.
    func heads(bucket: String, keys: [String]) -> [Result<(version: ObjectVersion, size: Int64)?, KeyReadError>]
    /// One page of the objects under `prefix` whose keys sort (as UTF-8 bytes) after
    /// `startAfter`, at most `maxKeys` of them, in key order; with `continuation` (a page's), the
    /// page after that one.
    func listPage(bucket: String, prefix: String, startAfter: String?, continuation: String?, maxKeys: Int) throws -> ListedPage
    /// Deletes an object; deleting a missing one is not an error.
    func delete(bucket: String, key: String) throws
    /// `delete`, best effort and without waiting: the request stays in flight while the caller
    /// goes on, and `settle` collects it. For what nothing needs any more (a replaced version's
    /// index), so that dropping it adds no round trip to a write. A later `write` or completion
    /// that writes the same key (an index under the same ETag: same bytes) waits for it first,
    /// so it never lands after them.
    func deleteInBackground(bucket: String, key: String)
    /// `abortUpload`, best effort and later: at `settle`, once `started` (a part of it still in
    /// flight) has landed, so that no part lands after the abort. For the upload of a writer's
    /// last round, which found nothing to write: it answers without waiting for a copy it
    /// started in case it would. Other writers see the upload until then, and wait for it as
    /// for any writer's (`CatalogFile.takeTurn`), so whatever writes next in the same
    /// invocation settles first.
    func abortInBackground(bucket: String, key: String, uploadID: String, after started: StartedPart?)
    /// Waits for the deletes `deleteInBackground` sent, then sends the aborts
    /// `abortInBackground` left; their errors are dropped. Called once an invocation has
    /// answered (`LambdaHandler.afterAnswer`), before the next one, and before anything else
    /// in the invocation writes (a writer's next round, the next bucket, the reconcile's walk).
    func settle()

    // Multipart writes: a big object written as parts, some sent, some copied server-side from
    // another object, then completed as one compare-and-swap.

    /// Starts an upload of `key`; its id.
    func startUpload(bucket: String, key: String, contentType: String) throws -> String
    /// `readRanges`, with `startUpload` of `key` sent at the same time: a writer reads what it
    /// will rewrite while the upload it will write to is created, one round trip rather than two
    /// in the window where another writer can win. The upload's id (or why there is none) comes
    /// with the reads.
    func readRanges(bucket: String, reads: [RangeRequest], startingUploadOf key: String,
                    contentType: String) -> (reads: [Result<RangeRead, KeyReadError>], upload: Result<String, any Error>)
    /// Uploads or copies parts (concurrently); their ETags, in the order given, or `nil` when a
    /// copy's source is no longer the version it names.
    func uploadParts(bucket: String, key: String, uploadID: String, parts: [UploadPart]) throws -> [String]?
    /// `uploadParts`, with `readRanges` sent at the same time: a writer learns what decides
    /// whether it may complete while its last part goes up.
    func uploadParts(bucket: String, key: String, uploadID: String, parts: [UploadPart], readingRanges reads: [RangeRequest])
        throws -> (etags: [String]?, reads: [Result<RangeRead, KeyReadError>])
    /// `uploadParts` of one part, returning before the store answers: a server-side copy of
    /// many megabytes goes on while the caller makes its other round trips (`StartedPart.etag`
    /// collects the answer; every started part must be collected).
    func startPart(bucket: String, key: String, uploadID: String, part: UploadPart) -> StartedPart
    /// `startUpload`, and `part` sent into the upload the moment it exists (`startPart`), both
    /// before their answers: the copy starts one round trip into the caller's work, which does
    /// not wait for the upload's id (`StartedUpload.landed` collects it, and the part).
    func startUpload(bucket: String, key: String, contentType: String, thenPart part: UploadPart) -> StartedUpload
    /// Makes parts 1…n (with these ETags) the object, only if it is still the version read
    /// (`ifMatch`) or still absent (`nil`); another writer having won is `.conflict`.
    func completeUpload(bucket: String, key: String, uploadID: String, partETags: [String], ifMatch: String?) throws -> StoredWrite
    /// `completeUpload`, with an unconditional write of a small object that describes the new
    /// version (a big catalog's index) sent at the same time: one round trip for both, so the
    /// window in which another writer can win is one round trip shorter. `companionWritten` is
    /// false when that write failed, whatever the completion's outcome.
    func completeUpload(bucket: String, key: String, uploadID: String, partETags: [String], ifMatch: String?,
                        writing companion: String, bytes: [UInt8], contentType: String) throws -> (outcome: StoredWrite, companionWritten: Bool)
    /// Drops an upload that will not be completed, and its parts.
    func abortUpload(bucket: String, key: String, uploadID: String) throws
    /// The uploads of exactly `key` in progress (other writers' and this one's), in no set order.
    func uploadsInProgress(bucket: String, key: String) throws -> [UploadInProgress]
    /// `readRanges`, with `uploadsInProgress` of `key` sent at the same time: a writer learns who
    /// else is writing and whether the version it read is still current in one round trip.
    func readRanges(bucket: String, reads: [RangeRequest], listingUploadsOf key: String)
        -> (reads: [Result<RangeRead, KeyReadError>], uploads: Result<[UploadInProgress], any Error>)
    /// The ETag the store will give an object written whole as `bytes`, or completed from parts
    /// with these ETags, so that what describes the object can be written before it exists;
    /// `nil` when it cannot tell (S3 with SSE-KMS, a server with its own scheme).
    func predictedETag(ofBytes bytes: ArraySlice<UInt8>) -> String?
    func predictedETag(ofParts partETags: [String]) -> String?
}

/// One part of a multipart write.
public struct UploadPart: Sendable {
    public enum Source: Sendable {
        case bytes([UInt8])
        /// Bytes `range` of `key` in the same bucket, from the version `ifMatch` only.
        case copy(key: String, range: Range<Int64>, ifMatch: String)
    }

    /// 1…10,000, in the object's order.
    public var number: Int
    public var source: Source

    public init(number: Int, source: Source) {
        self.number = number
        self.source = source
    }
}

/// The outcome of `ObjectStore.read`.
public enum StoredRead: Equatable, Sendable {
    case found(bytes: [UInt8], etag: String)
    /// The object still has the ETag given as `ifNoneMatch`.
    case notModified(etag: String)
    case missing
}

/// The outcome of `ObjectStore.write`.
public enum StoredWrite: Equatable, Sendable {
    /// Stored; the new version's ETag.
    case written(etag: String)
    /// Another writer changed (or created) the object since it was read (S3's 412, or 409 while
    /// another conditional write is in flight): read it again and re-apply. `retried`: the
    /// answer came to a retry, so an attempt before it may have landed, its answer lost (the
    /// 412 is then this write's own); otherwise nothing of this write landed.
    case conflict(retried: Bool)
}

/// One read of `ObjectStore.readRanges`: bytes `range` of `key`, from the version `ifMatch` if
/// given, or nothing (`.notModified`) if it is still the version `ifNoneMatch`.
public struct RangeRequest: Equatable, Sendable {
    public var key: String
    public var range: Range<Int64>
    public var ifMatch: String?
    public var ifNoneMatch: String?

    public init(key: String, range: Range<Int64>, ifMatch: String? = nil, ifNoneMatch: String? = nil) {
        self.key = key
        self.range = range
        self.ifMatch = ifMatch
        self.ifNoneMatch = ifNoneMatch
    }
}

/// What one ranged read found.
public enum RangeRead: Equatable, Sendable {
    /// The bytes of the range (fewer at the object's end), the object's version and its whole size.
    case bytes([UInt8], version: ObjectVersion, totalSize: Int64)
    /// The object exists and is empty: no range of it can be read (S3's 416, which carries no
    /// ETag: ask `heads` for one, and check its size: the object may have been replaced since).
    case empty
    /// No object under the key.
    case missing
    /// The object is no longer the version named by `ifMatch` (412): it was replaced meanwhile.
    case changed
    /// The object is still the version named by `ifNoneMatch` (304).
    case notModified
}

extension ObjectStore {
    /// The first page of a listing (or the page after `startAfter`).
    public func listPage(bucket: String, prefix: String, startAfter: String?, maxKeys: Int) throws -> ListedPage {
        try listPage(bucket: bucket, prefix: prefix, startAfter: startAfter, continuation: nil, maxKeys: maxKeys)
    }

    /// Each key's current version (`nil`: no such object): `heads`, sizes left out.
    public func versions(bucket: String, keys: [String]) -> [Result<ObjectVersion?, KeyReadError>] {
        heads(bucket: bucket, keys: keys).map { $0.map { $0?.version } }
    }
}
