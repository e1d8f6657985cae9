import Catalog
import S3

extension CatalogUpdater {
    /// Where invocations whose write lost publish their observations (see `PendingObservations`).
    public var pendingPrefix: String { catalogKey + ".pending/" }

    /// A group commit, after a lost write: one catalog write carries every waiting invocation's
    /// observations, so writers that collide stop costing a write window each.
    ///
    /// 1. publish our observations as a pending object (before any further attempt);
    /// 2. each round: list the pending objects (oldest first, at most `maxMergedPending`); if
    ///    ours is gone, another committer merged it *and* fenced it (it deletes only after its
    ///    re-check passed): done. If another is older (and not stale), wait and list again: one
    ///    committer at a time. Else read the catalog and the others, apply every observation
    ///    (ours first; for a key observed more than once, the latest Last-Modified), write
    ///    conditionally;
    /// 3. re-check *every* merged key, changed or not (deleting a pending object discharges its
    ///    invocation, so its observations must be fenced even where the catalog already agreed);
    ///    a changed key is observed again and becomes ours; a refused one is dropped;
    /// 4. all current: delete the pending objects merged, and return.
    ///
    /// A crash between any two steps leaves pending objects behind; they are merged by the next
    /// commit and fenced by its re-check like any observation (an old one only costs that commit
    /// a round). The proof of the plain rounds applies unchanged: every write that changes an
    /// entry re-checks it, and an invocation succeeds only once its observations were applied by
    /// a write whose re-check of them passed.
    func groupCommit(_ observed: [ObservedKey], bucket: String, deadlineMs: Int64?, into result: inout BucketSyncResult,
                     attempt: Int, conflicts: Int, lastRoundMs: Int64) throws(CatalogUpdateError) {
        let mine = pendingPrefix + Self.pendingName(nowMs: nowMs(), random: UInt64.random(in: .min ... .max))
        let myKey = ExactKey(mine)
        try storage(bucket) { try store.putObject(bucket: bucket, key: mine, bytes: PendingObservations(observed).serialized()) }
        var local = observed
        var dropped: Set<ExactKey> = []
        var attempt = attempt
        var conflicts = conflicts
        var commitRoundMs = lastRoundMs
        var polls = 0
        while true {
            let started = nowMs()
            let page = try storage(bucket) {
                try store.listPage(bucket: bucket, prefix: pendingPrefix, startAfter: nil, maxKeys: maxMergedPending)
            }
            if !page.objects.contains(where: { ExactKey($0.key) == myKey }) {
                var gone = !page.isTruncated
                if !gone, case .success(nil)? = store.readObjects(bucket: bucket, keys: [mine]).first { gone = true }
                if gone {
                    result.mergedElsewhere = true
                    return
                }
            }
            // One committer at a time: the owner of the oldest pending object, or anyone once
            // that one is older than `pendingStaleAfterMs` (its owner died or is stuck). The
            // others only poll the listing: committers that all merge the same objects would
            // multiply the work and collide with each other.
            if let oldest = page.objects.first?.key, ExactKey(oldest) != myKey, !isStalePending(oldest, now: started) {
                polls += 1
                let delay = pendingPollMs + random(pendingPollMs)
                if let deadlineMs {
                    guard nowMs() + Int64(delay) + commitRoundMs + InvocationDeadline.marginMs < deadlineMs else { break }
                } else {
                    guard polls < maxAttempts * 20 else { break }
                }
                sleepMs(delay)
                continue
            }
            attempt += 1
            result.attempts = attempt
            let (stored, loaded) = try load(bucket)
            // Ours win: they include every key observed again after a re-check found it changed,
            // and letting an older pending observation beat such a one would go round for ever
            // (a pending "exists" against our fresh "gone"). Among theirs, the latest
            // Last-Modified wins a key observed twice. Either way the re-check decides.
            var merged: [ExactKey: ObservedKey] = [:]
            var order: [ExactKey] = []
            for item in local where merged[ExactKey(item.key)] == nil {
                merged[ExactKey(item.key)] = item
                order.append(ExactKey(item.key))
            }
            let ours = Set(order)
            func consider(_ item: ObservedKey) {
                let key = ExactKey(item.key)
                guard !dropped.contains(key), !ours.contains(key) else { return }
                guard let held = merged[key] else { merged[key] = item; order.append(key); return }
                if (item.version?.lastModified ?? "") > (held.version?.lastModified ?? "") { merged[key] = item }
            }
            let others = page.objects.map(\.key).filter { ExactKey($0) != myKey }
            var mergedPending = [mine]
            for (key, answer) in zip(others, store.readObjects(bucket: bucket, keys: others)) {
                switch answer {
                case .success(nil), .failure(.refused):
                    continue                                 // merged meanwhile, or not ours to read
                case .success(let bytes?):
                    mergedPending.append(key)                // unreadable ones are deleted too
                    PendingObservations(parsing: bytes)?.observations.forEach(consider)
                case .failure(.failed(let error)):
                    throw .storage(bucket: bucket, underlying: error)
                }
            }
            let all = order.map { merged[$0]! }
            var catalog = loaded
            let summary = catalog.apply(all.map(\.observation), policy: EntryBuilder.policy)
            result.summary = summary
            result.mergedPending = mergedPending.count - 1
            var delay = 0
            var settled = true
            if summary.changed {
                let bytes = catalog.serialized()
                let outcome = try storage(bucket) {
                    try store.writeCatalog(bucket: bucket, key: catalogKey, bytes: bytes, ifMatch: stored)
                }
                switch outcome {
                case .written(let etag):
                    result.wrote = true
                    cache.keepWritten(bucket, etag: etag, catalog: catalog, bytes: bytes,
                                      changed: summary.added + summary.updated + summary.removed)
                case .conflict:
                    conflicts += 1
                    delay = random(backoff.ceiling(afterAttempt: conflicts))
                    settled = false
                }
            }
            if settled {
                let checked = all.indices.filter { !all[$0].fromKeyAlone }
                let stale = try recheck(checked.map { all[$0] }, bucket: bucket).map { all[checked[$0]].key }
                if stale.isEmpty {
                    // A delete that fails leaves a pending object to be merged (and fenced) again.
                    try? store.deleteObjects(bucket: bucket, keys: mergedPending)
                    return
                }
                let again = Set(stale.map(ExactKey.init))
                result.unskip(again)
                var fresh: [ExactKey: ObservedKey] = [:]
                for item in try observe(stale, bucket: bucket, into: &result) { fresh[ExactKey(item.key)] = item }
                local.removeAll { again.contains(ExactKey($0.key)) }
                for key in again {
                    if let item = fresh[key] { local.append(item) } else { dropped.insert(key) }   // refused now
                }
            }
            commitRoundMs = nowMs() - started
            guard mayGoOn(attempt: attempt, roundStarted: started, delay: delay, deadlineMs: deadlineMs) else { break }
            if delay > 0 { sleepMs(delay) }
        }
        throw .contended(bucket: bucket, key: catalogKey, attempts: result.attempts)
    }

    /// Whether the pending object `key` (named by its creation time) is older than
    /// `pendingStaleAfterMs`; a name that gives no time counts as stale.
    func isStalePending(_ key: String, now: Int64) -> Bool {
        guard let created = Int64(key.dropFirst(pendingPrefix.count).prefix(13)) else { return true }
        return now - created > pendingStaleAfterMs
    }

    /// Pending objects merged per round at most: one listing page, read in about two round trips.
    var maxMergedPending: Int { 64 }

    /// Sorts by time, so the oldest pending objects are merged first.
    static func pendingName(nowMs: Int64, random: UInt64) -> String {
        let time = String(max(0, nowMs))
        let hex = String(random, radix: 16)
        return String(repeating: "0", count: max(0, 13 - time.count)) + time + "-"
            + String(repeating: "0", count: max(0, 16 - hex.count)) + hex + ".json"
    }
}
