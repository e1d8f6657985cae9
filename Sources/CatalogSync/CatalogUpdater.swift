import Basics
import Catalog
import Storage

/// Brings one bucket's catalog in line with S3 for a set of keys, safely under concurrency.
///
/// Each key in a batch is treated only as "K changed": the entry is rebuilt from S3's current
/// truth for K (S3 is strongly read-after-write consistent), so duplicated, reordered or late
/// events converge on the same catalog. The steps, and why their order is safe (the README's
/// "Delivery guarantees" has the whole argument):
/// 1. observe every key (concurrent ranged GETs), *before* reading the catalog, so the time
///    between the catalog read and the write holds no observation;
/// 2. read the catalog and its ETag (a 304 when the warm cache still has it), apply;
/// 3. write with `If-Match` (or `If-None-Match: *`), or skip the write when nothing changed;
///    a lost write re-reads the catalog and re-applies the *same* observations (after backoff);
/// 4. after a write, re-check the version (ETag and Last-Modified) of every key whose entry the
///    write changed: that fences the observation. A key that changed since it was observed
///    may have been written stale, so only that key is observed again and the round repeats.
///    (The catalog's own ETag cannot catch this: identical catalog bytes keep the same ETag, so
///    the "nothing changed" writer of a newer event does not fence a slower, staler writer.)
public struct CatalogUpdater {
    public var store: any ObjectStore
    public var catalogKey: String
    /// Reads the heads of the objects a batch names.
    var observer: ObjectObserver
    /// Rounds allowed when there is no deadline (tests, the reconcile run by hand). With a
    /// deadline, the budget is time: a round is started only if one as long as the last can
    /// still end before the deadline's margin.
    public var maxAttempts = 50
    /// Backoff between conflicting writes: full jitter, doubling from 10 ms to 1 s.
    public var backoff = Backoff(baseMs: 10, maxMs: 1_000)
    /// Re-checks of at least this many keys try one listing page first (see `recheck`).
    public var listRecheckMinimum = 4
    public var nowMs: () -> Int64 = SystemClock.epochMilliseconds
    public var sleepMs: (Int) -> Void = { SystemClock.sleep(milliseconds: $0) }
    public var random: (Int) -> Int = { Int.random(in: 0...max(0, $0)) }
    /// The last catalog this process read or wrote per bucket, kept across warm invocations:
    /// while S3 still has that version, a conditional GET answers 304 and the catalog is neither
    /// downloaded nor parsed again (at 100,000 entries that is most of an event's cost).
    public let cache = CatalogCache()

    public init(store: any ObjectStore, catalogKey: String) {
        self.store = store
        self.catalogKey = catalogKey
        observer = ObjectObserver(store: store)
    }

    /// Syncs `keys` (already decoded; duplicates, compared byte for byte, count once) into
    /// `bucket`'s catalog; stops retrying conflicts once a round could no longer end before
    /// `deadline`, so the error reaches Lambda before the timeout (without one, after
    /// `maxAttempts` rounds).
    public func sync(bucket: String, keys: [String], deadline: Deadline? = nil) throws(CatalogUpdateError) -> BucketSyncResult {
        var result = BucketSyncResult(bucket: bucket)
        var seen: Set<ExactKey> = []
        var observed: [ObservedKey] = []
        var toObserve: [String] = []
        for key in keys where seen.insert(ExactKey(key)).inserted {
            if let reason = EntryBuilder.refusal(forKey: key) {
                result.skip(key, reason)
                observed.append(ObservedKey(key: key, version: nil, entry: nil, fromKeyAlone: true))
            } else {
                toObserve.append(key)
            }
        }
        observed += try observe(toObserve, bucket: bucket, into: &result)
        // Reasons in the order the keys came, whatever was decided first.
        var order: [ExactKey: Int] = [:]
        for (i, key) in keys.enumerated() where order[ExactKey(key)] == nil { order[ExactKey(key)] = i }
        result.skipped = result.skipped.enumerated().sorted {
            (order[ExactKey($0.element.key)] ?? 0, $0.offset) < (order[ExactKey($1.element.key)] ?? 0, $1.offset)
        }.map(\.element)
        try commit(observed, bucket: bucket, deadline: deadline, into: &result)
        return result
    }

    /// Observes `keys` in one concurrent batch. A key S3 refuses for good is left out (its entry,
    /// if any, stays as it is) and recorded in `result.skipped`; a key that is not an image gives
    /// a `nil` entry and is recorded too. Any other failure fails the bucket.
    func observe(_ keys: [String], bucket: String, into result: inout BucketSyncResult)
        throws(CatalogUpdateError) -> [ObservedKey] {
        guard !keys.isEmpty else { return [] }
        var observed: [ObservedKey] = []
        for (key, answer) in zip(keys, observer.observe(bucket: bucket, keys: keys)) {
            switch answer {
            case .success(nil):
                observed.append(ObservedKey(key: key, version: nil, entry: nil))
            case .success(let observation?):
                result.bytesRead += observation.bytesRead
                switch EntryBuilder.entry(key: key, observation: observation) {
                case .success(let entry):
                    observed.append(ObservedKey(key: key, version: observation.version, entry: entry))
                case .failure(let refusal):
                    result.skip(key, refusal.reason)
                    observed.append(ObservedKey(key: key, version: observation.version, entry: nil))
                }
            case .failure(.refused(let reason)):
                result.skip(key, reason)
            case .failure(.failed(let error)):
                throw .storage(bucket: bucket, underlying: error)
            }
        }
        return observed
    }

    /// The optimistic-concurrency loop shared by `sync` and `reconcile`: read the catalog, apply
    /// `observed`, write conditionally unless nothing changed, then re-check the keys whose
    /// entries the write changed. A lost write goes round again with the same observations after
    /// a jittered backoff; a key found changed is observed again, alone, and the round repeats.
    func commit(_ observed: [ObservedKey], bucket: String, deadline: Deadline?,
                into result: inout BucketSyncResult) throws(CatalogUpdateError) {
        var observed = observed
        var conflicts = 0
        var attempt = 0
        while true {
            attempt += 1
            result.attempts = attempt
            let started = nowMs()
            let (stored, loaded) = try load(bucket)
            var catalog = loaded
            let before = observed.map { catalog[$0.key] }
            let summary = catalog.apply(observed.map(\.observation), policy: EntryBuilder.policy)
            result.summary = summary
            guard summary.changed else { return }
            // Only entries this write changes need fencing: an entry left as it was is the one
            // its own writer published, and that writer re-checks it.
            let changed = observed.indices.filter { !observed[$0].fromKeyAlone && catalog[observed[$0].key] != before[$0] }
            let bytes = catalog.serialized()
            let outcome = try storage(bucket) {
                try store.write(bucket: bucket, key: catalogKey, bytes: bytes, contentType: "application/json", ifMatch: stored)
            }
            var delay = 0
            switch outcome {
            case .written(let etag):
                result.wrote = true
                // What was written is what S3 now has: the next read can be a 304.
                cache.keepWritten(bucket, etag: etag, catalog: catalog, bytes: bytes, changed: changed.count)
                let stale = try recheck(changed.map { observed[$0] }, bucket: bucket).map { changed[$0] }
                if stale.isEmpty { return }
                let keys = stale.map { observed[$0].key }
                let again = Set(keys.map(ExactKey.init))
                result.unskip(again)
                var fresh: [ExactKey: ObservedKey] = [:]
                for key in try observe(keys, bucket: bucket, into: &result) { fresh[ExactKey(key.key)] = key }
                observed = observed.compactMap { old in
                    let key = ExactKey(old.key)
                    return again.contains(key) ? fresh[key] : old     // refused now: left out
                }
            case .conflict:
                conflicts += 1
                delay = random(backoff.ceiling(afterAttempt: conflicts))
            }
            if let deadline {
                // A new round starts only if one as long as the last can still end in time.
                let now = nowMs()
                if !deadline.allows(waitMilliseconds: delay, thenWorkMilliseconds: now - started, now: now) { break }
            } else if attempt >= maxAttempts {
                break
            }
            if delay > 0 { sleepMs(delay) }
        }
        throw .contended(bucket: bucket, key: catalogKey, attempts: result.attempts)
    }

    /// The stored catalog's ETag (`nil`: none yet) and contents, from the cache when S3 answers
    /// 304 to its ETag. A catalog that is not a JSON array of entries is an error, never replaced.
    func load(_ bucket: String) throws(CatalogUpdateError) -> (etag: String?, catalog: Catalog) {
        let cached = cache.catalog(for: bucket)
        switch try storage(bucket, { try store.read(bucket: bucket, key: catalogKey, ifNoneMatch: cached?.etag) }) {
        case .notModified:
            guard let cached else { break }
            return (cached.etag, cached.catalog)
        case .missing:
            cache.forget(bucket)
            return (nil, Catalog())
        case .found(let bytes, let etag):
            do throws(CatalogError) {
                let catalog = try Catalog(parsing: bytes)
                cache.keepParsed(bucket, etag: etag, catalog: catalog)
                return (etag, catalog)
            } catch {
                cache.forget(bucket)
                throw .corruptCatalog(bucket: bucket, key: catalogKey, error)
            }
        }
        // A 304 without a condition cannot happen; read again unconditionally rather than guess.
        cache.forget(bucket)
        return try load(bucket)
    }

    func storage<T>(_ bucket: String, _ body: () throws -> T) throws(CatalogUpdateError) -> T {
        do { return try body() } catch { throw .storage(bucket: bucket, underlying: error) }
    }
}
