import Basics
import Catalog
import Storage

/// The catalog as stored: `images.json` in a bucket, and, once it is big, the index of each
/// version beside it (`<key>.index/<etag>`). Reads a version (`current`), the entries of some of
/// its blocks (`entries`), and writes a new version (`write`) by rewriting only the windows a
/// change touches and copying the rest server-side.
///
/// What stays true for every reader: `images.json` is at every moment one complete, valid JSON
/// array of entries that a plain GET returns, in imagecat's form (sorted by name, one entry per
/// line) once imagecat has written it. The index is derived data: a version without one (a
/// hand edit, an older imagecat, an index lost) is read whole once, checked, and indexed again.
public struct CatalogFile {
    public var store: any ObjectStore
    public var bucket: String
    public let key: String

    /// Catalogs up to this size are read whole by the first GET, and need no index.
    public var smallBytes = 1 << 20
    /// Index blocks are at least this big (see `CatalogIndex.blockTarget`).
    public var blockBytes = 64 << 10
    /// S3's smallest part (all but the last).
    public var minPart: Int64 = 5 << 20
    /// A rewritten window grows to at least this, so that its part is big enough.
    public var windowTarget: Int64 = 8 << 20
    /// Rewritten bytes are uploaded in parts of about this size.
    public var partTarget = 8 << 20
    /// Unchanged bytes are copied server-side in parts of about this size, all at once: a write
    /// then waits for the slowest of several small copies, not for one copy of the whole catalog.
    public var copyTarget: Int64 = 64 << 20
    /// A rewrite reads the old catalog at most this much at a time.
    public var chunkBytes = 8 << 20
    /// A new version up to this size is written with one PutObject.
    public var singlePutMax = 16 << 20
    /// A catalog not in imagecat's form (a hand edit, an older imagecat) up to this size is read
    /// whole and converted on its next write.
    public var wholeBudget = 32 << 20
    /// A version without an index bigger than this is not read whole to index it here:
    /// `CatalogFileError.notIndexed` (the API sets it: a request cannot wait for 176 MB; the
    /// catalog function indexes it on its next write, or the reconcile). `nil`: no limit.
    public var maxReindexBytes: Int64?
    /// Versions whose index lied and stayed (`IndexDistrust`).
    public var distrust = IndexDistrust()
    /// A version written by a rewrite names a prefix (`CatalogIndex.Prefix`) that leaves about
    /// this much after it: the tail that writes of new names (at the end of the name order, as
    /// `POST /uploads` names them) read and upload whole, copying the prefix only once however
    /// often they lose (`appended`).
    public var tailTarget: Int64 = 128 << 10
    /// Writes keep a prefix while the tail after it stays this small; past it, the next write
    /// names a new one.
    public var tailMax: Int64 = 4 << 20
    /// Completions an appending writer tries with the prefix it copied, re-reading the tail each
    /// time, before it reads the catalog afresh.
    public var appendAttempts = 4
    /// New prefixes' anchors: random, so that two prefixes never share one.
    public var newAnchor: () -> String = {
        Hex.padded(UInt64.random(in: .min ... .max)) + Hex.padded(UInt64.random(in: .min ... .max))
    }
    /// Waits (ms) for the index of a version just written, before reading the catalog whole.
    public var indexWaits = [50, 100, 200]
    /// Writers of a catalog at least this big take turns (`takeTurn`): below it a write's copy
    /// is short (~0.2 s for 17 MB on the local server), and a lost write costs less than the look
    /// and the handover that taking turns adds to every write (measured at 100,000 entries).
    public var turnMinBytes: Int64 = 64 << 20
    /// A big write waits for the uploads of the catalog started before its own to end at most
    /// this long (see `takeTurn`).
    public var turnWaitLimitMs = 20_000
    /// How often a waiting writer looks again, and how long after its first look a writer looks
    /// once more at uploads started in the same second: long enough for their writers to have
    /// listed too and dropped their uploads if they saw this one.
    public var turnPollMs = 100
    /// Looks stay `turnPollMs` apart for this long (a big write takes 0.4–1 s here: its waiters
    /// learn within 100 ms that it is done); a longer wait is a long write, and its looks then
    /// grow.
    public var turnPollSteadyMs = 1_000
    /// Looks during a long wait grow to at most this far apart.
    public var turnPollMaxMs = 1_000
    /// An upload started this much earlier than a writer's own is taken for one whose writer died
    /// (a catalog function lives at most 120 s): it is not waited for.
    public var staleUploadMs: Int64 = 150_000
    public var sleepMs: (Int) -> Void = { SystemClock.sleep(milliseconds: $0) }
    public var nowMs: () -> Int64 = SystemClock.epochMilliseconds

    public init(store: any ObjectStore, bucket: String, key: String) {
        self.store = store
        self.bucket = bucket
        self.key = key
    }

    /// Where the index of the version with ETag `etag` is kept.
    public func indexKey(_ etag: String) -> String { indexPrefix + etag }

    public var indexPrefix: String { Self.indexPrefix(of: key) }

    public static func indexPrefix(of key: String) -> String { key + ".index/" }

    /// Where the prefix `prefix` of the catalog `key` is saved (`CatalogIndex.Prefix.base`).
    public static func prefixKey(_ prefix: CatalogIndex.Prefix, of key: String) -> String { indexPrefix(of: key) + "prefix-" + prefix.anchor }

    /// Whether `other` is the catalog or one of its indexes: objects a catalog function must
    /// never catalog (or be triggered by).
    public static func isPart(_ other: String, ofCatalog key: String) -> Bool {
        let other = ExactKey(other)
        return other == ExactKey(key) || other.hasPrefix(ExactKey(indexPrefix(of: key)))
    }

    func blockTarget(_ size: Int64) -> Int { CatalogIndex.blockTarget(forSize: size, smallest: blockBytes) }

    func storage<T>(_ body: () throws -> T) throws(CatalogFileError) -> T {
        do { return try body() } catch let error as CatalogFileError { throw error } catch {
            throw .storage(error)
        }
    }
}
