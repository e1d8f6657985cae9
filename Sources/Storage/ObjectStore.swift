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

    /// The object's bytes and ETag; `.notModified` when its ETag is still `ifNoneMatch` (a 304:
    /// nothing downloaded), `.missing` when there is no such object.
    func read(bucket: String, key: String, ifNoneMatch: String?) throws -> StoredRead
    /// Writes only if the object is still the version read (`ifMatch`), or still absent
    /// (`ifMatch == nil`). Another writer having won is `.conflict`, not an error.
    func write(bucket: String, key: String, bytes: [UInt8], contentType: String, ifMatch: String?) throws -> StoredWrite
    /// Byte ranges of many objects at once, each optionally pinned to a version (`ifMatch`).
    func readRanges(bucket: String, reads: [RangeRequest]) -> [Result<RangeRead, KeyReadError>]
    /// Each key's current version (`nil`: no such object): HEAD requests.
    func versions(bucket: String, keys: [String]) -> [Result<ObjectVersion?, KeyReadError>]
    /// One page of the objects under `prefix` whose keys sort (as UTF-8 bytes) after
    /// `startAfter`, at most `maxKeys` of them, in key order.
    func listPage(bucket: String, prefix: String, startAfter: String?, maxKeys: Int) throws -> ListedPage
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
    /// another conditional write is in flight): read it again and re-apply.
    case conflict
}

/// One read of `ObjectStore.readRanges`: bytes `range` of `key`, from the version `ifMatch` if
/// given.
public struct RangeRequest: Equatable, Sendable {
    public var key: String
    public var range: Range<Int64>
    public var ifMatch: String?

    public init(key: String, range: Range<Int64>, ifMatch: String? = nil) {
        self.key = key
        self.range = range
        self.ifMatch = ifMatch
    }
}

/// What one ranged read found.
public enum RangeRead: Equatable, Sendable {
    /// The bytes of the range (fewer at the object's end), the object's version and its whole size.
    case bytes([UInt8], version: ObjectVersion, totalSize: Int64)
    /// The object exists and is empty: no range of it can be read (S3's 416, which carries no
    /// ETag: ask `versions` for one).
    case empty
    /// No object under the key.
    case missing
    /// The object is no longer the version named by `ifMatch` (412): it was replaced meanwhile.
    case changed
}
