import Basics
import Catalog
import Storage

extension CatalogUpdater {
    /// The reconcile's state object, beside the catalog (see `ReconcileState`).
    public var stateKey: String { catalogKey + ".reconcile" }

    /// Repairs `bucket`'s catalog from a listing of the bucket: entries whose ETag and size still
    /// match the listed object are kept without a request, new or changed objects are sniffed
    /// (concurrently, a page at a time), and entries for objects that are gone are removed.
    /// Heals whatever notifications were lost. A corrupt catalog is refused like anywhere else:
    /// delete it to rebuild from scratch. With a `prefix`, only objects and entries under it are
    /// looked at; others are left alone.
    ///
    /// The listing is walked once per run, never again per conflict round: the observations it
    /// led to go through the same write-and-re-check rounds as `sync`. With a deadline, listing
    /// stops once half of the time left at the start is used, the part listed is committed, and
    /// the state object says where the next run goes on. Unchanged non-images remembered in the
    /// state object are skipped without a request. The answer lists at most
    /// `skippedListLimit` skipped keys (all are counted).
    public func reconcile(bucket: String, prefix: String = "", deadline: Deadline? = nil,
                          skippedListLimit: Int = 100) throws(CatalogUpdateError) -> BucketSyncResult {
        var result = BucketSyncResult(bucket: bucket)
        result.skippedListLimit = skippedListLimit
        let started = nowMs()
        let listUntil = deadline.map { started + ($0.epochMilliseconds - started) / 2 }

        let stateRead = try storage(bucket) { try store.read(bucket: bucket, key: stateKey, ifNoneMatch: nil) }
        var stateETag: String?
        var state = ReconcileState()
        if case .found(let bytes, let etag) = stateRead {
            stateETag = etag
            state = ReconcileState(parsing: bytes)
        }
        // What the entries are compared with. Entries other writers add meanwhile are theirs:
        // only names in this version can be found missing from the listing.
        let (_, catalog) = try load(bucket)
        let exactPrefix = ExactKey(prefix)
        let passStart = state.startAfter.map(ExactKey.init)

        var observed: [ObservedKey] = []
        var present: Set<ExactKey> = []
        var refusedNow: [ExactKey: String] = [:]
        var cursor = state.startAfter
        var complete = false
        var kept = 0
        repeat {
            if let listUntil, nowMs() >= listUntil, cursor != state.startAfter { break }
            let page = try storage(bucket) { try store.listPage(bucket: bucket, prefix: prefix, startAfter: cursor, maxKeys: 1000) }
            var toObserve: [String] = []
            for object in page.objects where object.key != catalogKey && object.key != stateKey {
                let key = ExactKey(object.key)
                present.insert(key)
                if let reason = EntryBuilder.refusal(forKey: object.key) {
                    result.skip(object.key, reason)
                    continue
                }
                if let entry = catalog[object.key] {
                    if entry.extra["etag"]?.stringValue == object.version.etag, entry.size == object.size {
                        kept += 1                                   // unchanged since it was cataloged
                        continue
                    }
                } else if state.refused[key] == object.version.etag {
                    refusedNow[key] = object.version.etag                          // the same non-image as last time
                    result.remembered += 1
                    continue
                }
                toObserve.append(object.key)
            }
            for item in try observe(toObserve, bucket: bucket, into: &result) {
                if item.entry == nil, let version = item.version {
                    refusedNow[ExactKey(item.key)] = version.etag   // not an image: remember it
                }
                if item.entry != nil || catalog.contains(name: item.key) { observed.append(item) }
            }
            cursor = page.objects.last?.key ?? cursor
            complete = !page.isTruncated
        } while !complete

        // Entries whose objects were not listed, within the part of the key space listed.
        let reach = complete ? nil : cursor.map(ExactKey.init)
        for name in catalog.names {
            let key = ExactKey(name)
            guard key.hasPrefix(exactPrefix), !present.contains(key), name != catalogKey, name != stateKey else { continue }
            if let passStart, !(passStart < key) { continue }
            if !complete { guard let reach, !(reach < key) else { continue } }
            observed.append(ObservedKey(key: name, version: nil, entry: nil))
        }

        if observed.isEmpty && catalog.duplicatesRemoved == 0 {
            result.summary = Catalog.ApplySummary()                 // nothing to write
        } else {
            try commit(observed, bucket: bucket, deadline: deadline, into: &result)
        }
        result.summary?.unchanged += kept
        result.complete = complete

        var next = ReconcileState(startAfter: complete ? nil : cursor)
        if !complete, let reach {
            // Refusals not reached yet in this pass are still worth remembering.
            for (key, etag) in state.refused where reach < key { next.refused[key] = etag }
        }
        for (key, etag) in refusedNow where next.refused.count < ReconcileState.maxRemembered { next.refused[key] = etag }
        if next != state {
            // Losing this write to another run only costs the next run some requests.
            _ = try storage(bucket) {
                try store.write(bucket: bucket, key: stateKey, bytes: next.serialized(), contentType: "application/json",
                            ifMatch: stateETag)
            }
        }
        return result
    }
}
