import Catalog
import JSON

#if canImport(Glibc)
import Glibc
#endif

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
    /// Backoff between conflicting writes: full jitter, doubling from `baseDelayMs` to `maxDelayMs`.
    public var baseDelayMs = 10
    public var maxDelayMs = 1_000
    public var nowMs: () -> Int64 = { CatalogUpdater.epochMs() }
    public var sleepMs: (Int) -> Void = { ms in usleep(UInt32(ms) * 1_000) }
    public var random: (Int) -> Int = { Int.random(in: 0...max(0, $0)) }

    public init(store: any CatalogStore, catalogKey: String) {
        self.store = store
        self.catalogKey = catalogKey
    }

    /// Syncs `keys` (distinct, already decoded) into `bucket`'s catalog; stops retrying conflicts
    /// once `deadlineMs` (epoch ms) is near so the error reaches Lambda before the timeout.
    public func sync(bucket: String, keys: [String], deadlineMs: Int64? = nil) throws(CatalogUpdateError) -> BucketSyncResult {
        var result = BucketSyncResult(bucket: bucket)
        for attempt in 1...maxAttempts {
            result.attempts = attempt
            let stored = try storage(bucket) { try store.readCatalog(bucket: bucket, key: catalogKey) }
            var catalog = Catalog()
            if let stored {
                do throws(CatalogError) { catalog = try Catalog(parsing: stored.bytes) } catch {
                    throw .corruptCatalog(bucket: bucket, key: catalogKey, error)
                }
            }
            var observed: [(key: String, etag: String?)] = []   // what each entry was based on
            var observations: [(name: String, entry: CatalogEntry?)] = []
            result.skipped = []
            result.bytesRead = 0
            for key in keys {
                if let reason = EntryBuilder.refusal(forKey: key) {
                    result.skipped.append(SkippedKey(key: key, reason: reason))
                    observations.append((name: key, entry: nil))
                    continue
                }
                let observation = try storage(bucket) { try store.observe(bucket: bucket, key: key) }
                observed.append((key: key, etag: observation?.etag))
                result.bytesRead += observation?.bytesRead ?? 0
                switch observation.map({ EntryBuilder.entry(key: key, observation: $0) }) {
                case .success(let entry)?: observations.append((name: key, entry: entry))
                case .failure(let refusal)?:
                    result.skipped.append(SkippedKey(key: key, reason: refusal.reason))
                    observations.append((name: key, entry: nil))
                case nil: observations.append((name: key, entry: nil))
                }
            }
            let summary = catalog.apply(observations, policy: EntryBuilder.policy)
            result.summary = summary
            guard summary.changed else { return result }
            let outcome = try storage(bucket) {
                try store.writeCatalog(bucket: bucket, key: catalogKey, bytes: catalog.serialized(), ifMatch: stored?.etag)
            }
            if case .written = outcome {
                result.wrote = true
                var stale = false
                for (key, etag) in observed where !stale {
                    stale = try storage(bucket) { try store.currentETag(bucket: bucket, key: key) } != etag
                }
                if !stale { return result }
            }
            if attempt == maxAttempts { break }
            let ceiling = min(maxDelayMs, baseDelayMs << min(attempt - 1, 16))
            let delay = random(ceiling)
            if let deadlineMs, nowMs() + Int64(delay) + Self.deadlineMarginMs >= deadlineMs { break }
            sleepMs(delay)
        }
        throw .contended(bucket: bucket, key: catalogKey, attempts: result.attempts)
    }

    /// Time kept back for reporting the error to the Runtime API before Lambda's own timeout.
    static let deadlineMarginMs: Int64 = 500

    private func storage<T>(_ bucket: String, _ body: () throws -> T) throws(CatalogUpdateError) -> T {
        do { return try body() } catch { throw .storage(bucket: bucket, underlying: error) }
    }

    public static func epochMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

public struct SkippedKey: Equatable, Sendable {
    public var key: String
    public var reason: String
}

public struct BucketSyncResult: Sendable {
    public var bucket: String
    public var summary: Catalog.ApplySummary?
    public var skipped: [SkippedKey] = []
    /// Read-observe-write rounds, 1 when uncontended.
    public var attempts = 0
    public var wrote = false
    /// Bytes of image heads read to sniff formats and sizes (the last round's).
    public var bytesRead = 0
}
