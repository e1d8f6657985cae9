import Basics
import Catalog
import CatalogFile
import Storage

extension CatalogUpdater {
    /// The reconcile's state object, beside the catalog (see `ReconcileState`).
    public var stateKey: String { catalogKey + ".reconcile" }

    /// Observations a reconcile gathers before it writes them: a bound on its memory however
    /// big the bucket.
    static var reconcileBatch: Int { 1000 }

    /// Repairs `bucket`'s catalog from a listing of the bucket, healing whatever notifications
    /// were lost. The listing and the catalog are both in name order, so they are walked side by
    /// side, a page (1,000 keys) at a time, reading only the catalog blocks that page covers:
    /// memory stays bounded however big the bucket.
    ///
    /// An entry whose ETag, size and Last-Modified match the listed object is kept without a
    /// request; new or changed objects are observed (concurrently, a page at a time); an entry
    /// whose object is not listed is removed, after a HEAD confirms it is gone (unless the store
    /// lists exactly what it holds, as S3 does: other servers may list `a//b` as `a/b`). Keys a
    /// catalog writer could not confirm before it gave up (`ReconcileState.suspects`) are
    /// observed first. Observations are written in batches through the same write-and-re-check
    /// rounds as `sync`. A corrupt catalog is refused like anywhere else.
    ///
    /// With a deadline, listing stops once half of the time left at the start is used (between
    /// two stretches of the catalog, inside a page too), what was gathered is written, and the
    /// state object says where the next run goes on. With a
    /// `prefix`, only objects and entries under it are looked at.
    public func reconcile(bucket: String, prefix: String = "", deadline: Deadline? = nil,
                          skippedListLimit: Int = 100) throws(CatalogUpdateError) -> BucketSyncResult {
        var result = BucketSyncResult(bucket: bucket)
        try reconcile(bucket: bucket, prefix: prefix, deadline: deadline, skippedListLimit: skippedListLimit, into: &result)
        return result
    }

    /// `reconcile`, keeping what it did in `result` even when it fails.
    public func reconcile(bucket: String, prefix: String = "", deadline: Deadline? = nil, skippedListLimit: Int = 100,
                          into result: inout BucketSyncResult) throws(CatalogUpdateError) {
        result = BucketSyncResult(bucket: bucket)
        result.skippedListLimit = skippedListLimit
        result.summary = ApplySummary()
        let started = nowMs()
        let listUntil = deadline.map { started + ($0.epochMilliseconds - started) / 2 }

        let stateRead = try storage(bucket) { try store.read(bucket: bucket, key: stateKey, ifNoneMatch: nil) }
        var stateETag: String?
        var state = ReconcileState()
        if case .found(let bytes, let etag) = stateRead {
            stateETag = etag
            state = ReconcileState(parsing: bytes)
        }
        let exactPrefix = ExactKey(prefix)
        // With a prefix, the catalog is walked from the prefix to the first name past it, not
        // from end to end: the walk starts after the greatest bound below every name under the
        // prefix and above every key before it (its last byte one less, then 0xFF, a byte UTF-8
        // never holds).
        let startOfPrefix: ExactKey? = exactPrefix.bytes.last.map { last in
            ExactKey(bytes: exactPrefix.bytes.dropLast() + (last > 0 ? [last - 1, 0xFF] : []))
        }
        var pending: [ObservedKey] = []
        func flush() throws(CatalogUpdateError) {
            guard !pending.isEmpty else { return }
            var round = BucketSyncResult(bucket: bucket)
            defer { result.absorb(round) }
            try commit(pending, bucket: bucket, deadline: deadline, into: &round)
            pending = []
            store.settle()                                   // the walk goes on: nothing left listed meanwhile
        }

        // Keys a writer left unconfirmed: observed first.
        let suspects = state.suspects.filter { ExactKey($0).hasPrefix(exactPrefix) && !isOwn($0) }
        pending += try observe(suspects, bucket: bucket, into: &result)

        var refusedNow: [ExactKey: String] = [:]
        /// Remembers a non-image seen in this run: the first ones in listing order, bounded (the
        /// rest are looked at again next time, a HEAD-sized read each).
        func remember(_ key: ExactKey, _ etag: String) {
            if refusedNow[key] != nil || refusedNow.count < maxRememberedRefusals { refusedNow[key] = etag }
        }
        var cursor = state.startAfter
        var complete = false
        var version = try current(bucket)
        var reader = EntryCursor()
        /// Goes on in the current version (after a write, this walk's or another writer's), from
        /// the same name.
        func reread() throws(CatalogUpdateError) {
            version = try current(bucket)
            reader = EntryCursor()
        }
        var changes = 0                   // pages read again in a new version, in this run
        var changesOfPage = 0             // ... this page, one after another: the contention bound
        var stoppedAt: ExactKey?          // where the deadline stopped the walk inside a page
        var continuation: String?         // past pages with no objects that said more follow
        repeat {
            if let listUntil, nowMs() >= listUntil, cursor != state.startAfter || changes > 0 || continuation != nil { break }
            let page = try storage(bucket) {
                try store.listPage(bucket: bucket, prefix: prefix, startAfter: cursor, continuation: continuation, maxKeys: reconcilePageSize)
            }
            // S3 may answer a page with no objects that says more follow (a stretch it skipped):
            // the listing goes on from its token. Without one there is nothing to go on from
            // (taken as the end, the rest of the catalog would look gone): this run stops here.
            if page.isTruncated && page.objects.isEmpty {
                guard let next = page.continuation, next != continuation else { break }
                continuation = next
                continue
            }
            continuation = nil
            let last = !page.isTruncated
            let upper = last ? nil : page.objects.last.map { ExactKey($0.key) }
            var listed: [ExactKey: ListedObject] = [:]
            for object in page.objects where !isOwn(object.key) { listed[ExactKey(object.key)] = object }
            var toObserve: [String] = []
            var cataloged = Set<ExactKey>()
            var unlisted: [String] = []
            // The catalog's entries in the part of the name order this page covers, a bounded
            // stretch at a time; entries whose objects were not listed are gone, once confirmed.
            var changed = false
            var after = cursor.map(ExactKey.init) ?? startOfPrefix
            var pastPrefix = false
            /// Whether the page's entries are read from a version newer than its listing (a
            /// write in the middle of the page): one another writer added since is not listed,
            /// and only a HEAD tells it from a gone one.
            var listedBefore = false
            while true {
                let run: EntryRun, entries: [(name: ExactKey, index: Int)], more: Bool
                do throws(CatalogFileError) {
                    (run, entries, more) = try reader.entries(after: after, through: upper, of: version, in: file(bucket))
                } catch .changed {
                    changed = true
                    break
                } catch {
                    throw CatalogUpdateError(error, bucket: bucket, key: catalogKey)
                }
                for (name, i) in entries where !isOwn(name.string) {
                    guard name.hasPrefix(exactPrefix) else {
                        if exactPrefix < name { pastPrefix = true; break }   // the rest is not this run's
                        continue
                    }
                    guard let object = listed[name] else {
                        unlisted.append(name.string)
                        continue
                    }
                    cataloged.insert(name)
                    let entry = run.entry(i)
                    // The time too: the same bytes uploaded again keep their ETag. (An entry
                    // without one, written by hand, is not made stale by it.)
                    if entry.objectVersion?.isSame(as: object.version) == true, entry.size == object.size {
                        result.summary!.unchanged += 1          // unchanged since it was cataloged
                    } else {
                        toObserve.append(object.key)
                    }
                }
                after = entries.last?.name ?? after
                if unlisted.count >= Self.reconcileBatch {
                    pending += try confirmedGone(unlisted, bucket: bucket, trustingListing: !listedBefore, into: &result)
                    unlisted = []
                }
                if pending.count >= Self.reconcileBatch {
                    // Written now, so that memory stays bounded; the walk goes on in the new
                    // version from the last name it reached.
                    try flush()
                    try reread()
                    listedBefore = true
                }
                if !more || pastPrefix { break }
                if let listUntil, nowMs() >= listUntil, !entries.isEmpty {
                    // Out of time inside a page (a stretch of the catalog whose objects are gone can
                    // span most of it): what is handled up to here is written, the next run lists
                    // on from the last name reached.
                    stoppedAt = after
                    break
                }
            }
            if changed {
                try reread()                             // another writer: this page again, in the new version
                changes += 1
                changesOfPage += 1
                // Per page: a catalog written to all day makes every page go round now and then,
                // and a bound over the run would stop a big one at the same page every run.
                if changesOfPage > maxAttempts { throw .contended(bucket: bucket, key: catalogKey, attempts: changesOfPage) }
                continue
            }
            changesOfPage = 0
            for object in page.objects where !isOwn(object.key) && !cataloged.contains(ExactKey(object.key)) {
                let key = ExactKey(object.key)
                if let stoppedAt, stoppedAt < key { break }          // listed in order: the rest is the next run's
                if let reason = EntryBuilder.refusal(forKey: object.key) {
                    result.skip(object.key, reason, .notImage)
                } else if state.refused[key] == object.version.etag {
                    remember(key, object.version.etag)            // the same non-image as last time
                    result.remembered += 1
                } else {
                    toObserve.append(object.key)
                }
            }
            let observedNow = try observe(toObserve, bucket: bucket, into: &result)
            // Many keys failing one by one is the bucket failing, not those keys.
            if result.failedKeys.count > Self.reconcileBatch, let first = result.failedKeys.first { throw first.error }
            for item in observedNow {
                if item.entry == nil, let version = item.version {
                    remember(ExactKey(item.key), version.etag)     // not an image: remember it
                }
                if item.entry != nil || cataloged.contains(ExactKey(item.key)) { pending.append(item) }
            }
            pending += try confirmedGone(unlisted, bucket: bucket, trustingListing: !listedBefore, into: &result)
            cursor = stoppedAt?.string ?? page.objects.last?.key ?? cursor
            complete = last && stoppedAt == nil
            if pending.count >= Self.reconcileBatch {
                try flush()
                try reread()
            }
        } while !complete && stoppedAt == nil
        try flush()
        // A catalog in an older form is converted (and indexed) even when nothing changed: until
        // then the API cannot page a big one by block.
        if !result.wrote, file(bucket).isWorthConverting(version) {
            var round = BucketSyncResult(bucket: bucket)
            try commit([], bucket: bucket, deadline: deadline, into: &round)
            result.writes += round.writes
        }
        result.complete = complete
        if result.catalogEntries == nil {                    // nothing to write: the version read
            result.catalogEntries = version.index.count
            result.catalogBytes = version.size
        }

        var next = ReconcileState(startAfter: complete ? nil : cursor)
        if !complete, let reach = cursor.map(ExactKey.init) {
            // Refusals not reached yet in this pass are still worth remembering.
            for (key, etag) in state.refused where reach < key { next.refused[key] = etag }
        }
        for (key, etag) in refusedNow where next.refused.count < maxRememberedRefusals { next.refused[key] = etag }
        next.suspects = state.suspects.filter { !ExactKey($0).hasPrefix(exactPrefix) }
        // Keys whose reads failed alone: the next run observes them first, the walk went on.
        next.addSuspects(result.failedKeys.map(\.key))
        if next != state {
            try saveState(next, etag: stateETag, bucket: bucket)
        }
        // Last, in what time is left: a catalog read by its index has a folder of them beside it
        // (small ones are read whole).
        if version.whole == nil, let now = try? current(bucket) {
            result.leftoversDropped = dropLeftovers(bucket: bucket, current: now, deadline: deadline)
        }
    }

    /// Writes the state a run ends with over the one it read (ETag `etag`, `nil`: none). Catalog
    /// writers add suspects to it meanwhile (`leaveForReconcile`): a lost write reads it again and
    /// keeps every suspect there with this run's cursor, a few times (one this run observed may be
    /// suspected again: observed once more rather than lost); lost for good, the next run starts
    /// where this one did.
    private func saveState(_ state: ReconcileState, etag: String?, bucket: String) throws(CatalogUpdateError) {
        var next = state, expected = etag
        for _ in 0..<3 {
            let written = try storage(bucket) {
                try store.write(bucket: bucket, key: stateKey, bytes: next.serialized(), contentType: "application/json", ifMatch: expected)
            }
            guard case .conflict = written else { return }
            let now = try storage(bucket) { try store.read(bucket: bucket, key: stateKey, ifNoneMatch: nil) }
            guard case .found(let bytes, let current) = now else {
                expected = nil
                continue
            }
            next.addSuspects(ReconcileState(parsing: bytes).suspects)
            expected = current
        }
    }

    /// The catalog's own objects (the catalog, its indexes, this state object, the handovers of
    /// waiting writers): never entries.
    func isOwn(_ key: String) -> Bool {
        CatalogFile.isPart(key, ofCatalog: catalogKey) || ExactKey(key) == ExactKey(stateKey) || isHandover(key)
    }

    /// Observations for `keys` that a listing did not show: each is gone if its HEAD says so,
    /// or without a request when the store lists exactly what it holds (and the entries were
    /// read from a version no newer than the listing: `trustingListing`); a key that is there
    /// after all is observed like any other.
    func confirmedGone(_ keys: [String], bucket: String, trustingListing: Bool = true,
                       into result: inout BucketSyncResult) throws(CatalogUpdateError) -> [ObservedKey] {
        guard !keys.isEmpty else { return [] }
        if store.listingsAreExact && trustingListing { return keys.map { ObservedKey(key: $0, version: nil, entry: nil) } }
        var gone: [ObservedKey] = []
        var present: [String] = []
        for (key, answer) in zip(keys, store.versions(bucket: bucket, keys: keys)) {
            switch answer {
            case .success(nil): gone.append(ObservedKey(key: key, version: nil, entry: nil))
            case .success: present.append(key)
            case .failure(.refused): continue                     // S3 will not say: leave the entry
            case .failure(.failed(let error)): throw .storage(bucket: bucket, underlying: error)
            }
        }
        var ignored = BucketSyncResult(bucket: bucket)
        let observed = try observe(present, bucket: bucket, into: &ignored)
        result.observeMs += ignored.observeMs                 // the time counts; the reasons do not
        result.failedKeys += ignored.failedKeys
        return gone + observed
    }
}
