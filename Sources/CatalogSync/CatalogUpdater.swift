import Basics
import Catalog
import HTTPClient
import JSON
import S3


/// Brings one bucket's catalog in line with S3 for a set of keys, safely under concurrency.
///
/// Each key in a batch is treated only as "K changed": the entry is rebuilt from S3's current
/// truth for K (S3 is strongly read-after-write consistent), so duplicated, reordered or late
/// events converge on the same catalog. The order of steps is what makes that hold:
/// 1. read the catalog and its ETag;
/// 2. observe every key *after* that read;
/// 3. write with `If-Match` (or `If-None-Match: *`), or skip the write when nothing changed;
///    on a conflict, start again from 1 with backoff;
/// 4. after a write, re-check each key's ETag: a key that changed between 2 and 3 may have been
///    written stale, so go round again. (An ETag match cannot catch this: identical catalog
///    bytes keep the same ETag, so the "nothing changed" writer of a newer event does not fence a
///    slower writer holding an older observation.)
public struct CatalogUpdater {
    public var store: any CatalogStore
    public var catalogKey: String
    public var maxAttempts = 25
    /// Backoff between conflicting writes: full jitter, doubling from 10 ms to 1 s.
    public var backoff = Backoff(baseMs: 10, maxMs: 1_000)
    public var nowMs: () -> Int64 = SystemClock.epochMilliseconds
    public var sleepMs: (Int) -> Void = { SystemClock.sleep(milliseconds: $0) }
    public var random: (Int) -> Int = { Int.random(in: 0...max(0, $0)) }
    /// The last catalog this process read or wrote per bucket, kept across warm invocations:
    /// while S3 still has that version, a conditional GET answers 304 and the catalog is neither
    /// downloaded nor parsed again (at 100,000 entries that is most of an event's cost).
    public let cache = CatalogCache()

    public init(store: any CatalogStore, catalogKey: String) {
        self.store = store
        self.catalogKey = catalogKey
    }

    /// Syncs `keys` (distinct, already decoded) into `bucket`'s catalog; stops retrying conflicts
    /// once `deadlineMs` (epoch ms) is near so the error reaches Lambda before the timeout.
    public func sync(bucket: String, keys: [String], deadlineMs: Int64? = nil) throws(CatalogUpdateError) -> BucketSyncResult {
        try rounds(bucket: bucket, deadlineMs: deadlineMs) { catalog, result throws(CatalogUpdateError) in
            var observed: [(key: String, etag: String?)] = []
            var observations: [(name: String, entry: CatalogEntry?)] = []
            for key in keys {
                if let reason = EntryBuilder.refusal(forKey: key) {
                    result.skipped.append(SkippedKey(key: key, reason: reason))
                    observations.append((name: key, entry: nil))
                    continue
                }
                let (etag, entry) = try observe(bucket: bucket, key: key, into: &result)
                observed.append((key: key, etag: etag))
                observations.append((name: key, entry: entry))
            }
            result.summary = catalog.apply(observations, policy: EntryBuilder.policy)
            return observed
        }
    }

    /// Rebuilds `bucket`'s catalog from a listing of the bucket: entries whose ETag still matches
    /// the listed object are kept without a request, new or changed objects are sniffed, and
    /// entries for objects that are gone are removed. Heals whatever notifications were lost.
    /// A corrupt catalog is refused like anywhere else: delete it to rebuild from scratch.
    /// With a `prefix`, only objects and entries under it are looked at; others are left alone.
    public func reconcile(bucket: String, prefix: String = "", deadlineMs: Int64? = nil) throws(CatalogUpdateError) -> BucketSyncResult {
        try rounds(bucket: bucket, deadlineMs: deadlineMs) { catalog, result throws(CatalogUpdateError) in
            let listed = try storage(bucket) { try store.list(bucket: bucket, prefix: prefix) }
            var observed: [(key: String, etag: String?)] = []
            var observations: [(name: String, entry: CatalogEntry?)] = []
            var present: Set<String> = []
            var kept = 0
            for object in listed where object.key != catalogKey {
                present.insert(object.key)
                if EntryBuilder.refusal(forKey: object.key) != nil { continue }
                if let entry = catalog[object.key], entry.extra["etag"]?.stringValue == object.etag, entry.size == object.size {
                    kept += 1                                   // unchanged since it was cataloged
                    continue
                }
                let (etag, entry) = try observe(bucket: bucket, key: object.key, into: &result)
                if entry != nil || catalog.contains(name: object.key) {
                    observed.append((key: object.key, etag: etag))
                    observations.append((name: object.key, entry: entry))
                }
            }
            for name in catalog.names where name.hasPrefix(prefix) && !present.contains(name) {
                observed.append((key: name, etag: nil))
                observations.append((name: name, entry: nil))
            }
            result.summary = catalog.apply(observations, policy: EntryBuilder.policy)
            result.summary?.unchanged += kept
            return observed
        }
    }

    /// One object's truth: its ETag (`nil` when gone) and its entry (`nil` when gone or not an
    /// image, with the reason recorded in `result.skipped`).
    private func observe(bucket: String, key: String, into result: inout BucketSyncResult)
        throws(CatalogUpdateError) -> (etag: String?, entry: CatalogEntry?) {
        guard let observation = try storage(bucket, { try store.observe(bucket: bucket, key: key) }) else {
            return (nil, nil)
        }
        result.bytesRead += observation.bytesRead
        switch EntryBuilder.entry(key: key, observation: observation) {
        case .success(let entry): return (observation.etag, entry)
        case .failure(let refusal):
            result.skipped.append(SkippedKey(key: key, reason: refusal.reason))
            return (observation.etag, nil)
        }
    }

    /// The optimistic-concurrency loop shared by `sync` and `reconcile`: read the catalog, let
    /// `round` observe and apply (it returns the keys and ETags its entries are based on), write
    /// conditionally unless nothing changed, then re-check those ETags. A lost write or a stale
    /// key starts a new round after a jittered backoff.
    private func rounds(
        bucket: String, deadlineMs: Int64?,
        _ round: (inout Catalog, inout BucketSyncResult) throws(CatalogUpdateError) -> [(key: String, etag: String?)]
    ) throws(CatalogUpdateError) -> BucketSyncResult {
        var result = BucketSyncResult(bucket: bucket)
        for attempt in 1...maxAttempts {
            result = BucketSyncResult(bucket: bucket, attempts: attempt, wrote: result.wrote)
            let (stored, loaded) = try load(bucket)
            var catalog = loaded
            let basis = try round(&catalog, &result)
            guard result.summary?.changed == true else { return result }
            let outcome = try storage(bucket) {
                try store.writeCatalog(bucket: bucket, key: catalogKey, bytes: catalog.serialized(), ifMatch: stored)
            }
            if case .written(let etag) = outcome {
                result.wrote = true
                // What was written is what S3 now has: the next read can be a 304. (Not when loading
                // dropped duplicates: that catalog would report a change on every later apply.)
                cache.entries[bucket] = catalog.duplicatesRemoved == 0 ? (etag, catalog) : nil
                var stale = false
                for (key, etag) in basis where !stale {
                    stale = try storage(bucket) { try store.currentETag(bucket: bucket, key: key) } != etag
                }
                if !stale { return result }
            }
            if attempt == maxAttempts { break }
            let delay = random(backoff.ceiling(afterAttempt: attempt))
            if let deadlineMs, nowMs() + Int64(delay) + InvocationDeadline.marginMs >= deadlineMs { break }
            sleepMs(delay)
        }
        throw .contended(bucket: bucket, key: catalogKey, attempts: result.attempts)
    }

    /// The stored catalog's ETag (`nil`: none yet) and contents, from the cache when S3 answers
    /// 304 to its ETag. A catalog that is not a JSON array of entries is an error, never replaced.
    private func load(_ bucket: String) throws(CatalogUpdateError) -> (etag: String?, catalog: Catalog) {
        let cached = cache.entries[bucket]
        switch try storage(bucket, { try store.readCatalog(bucket: bucket, key: catalogKey, ifNoneMatch: cached?.etag) }) {
        case .unchanged:
            guard let cached else { break }
            return (cached.etag, cached.catalog)
        case .missing:
            cache.entries[bucket] = nil
            return (nil, Catalog())
        case .found(let bytes, let etag):
            do throws(CatalogError) {
                let catalog = try Catalog(parsing: bytes)
                cache.entries[bucket] = catalog.duplicatesRemoved == 0 ? (etag, catalog) : nil
                return (etag, catalog)
            } catch {
                cache.entries[bucket] = nil
                throw .corruptCatalog(bucket: bucket, key: catalogKey, error)
            }
        }
        // A 304 without a condition cannot happen; read again unconditionally rather than guess.
        cache.entries[bucket] = nil
        return try load(bucket)
    }

    private func storage<T>(_ bucket: String, _ body: () throws -> T) throws(CatalogUpdateError) -> T {
        do { return try body() } catch { throw .storage(bucket: bucket, underlying: error) }
    }
}
