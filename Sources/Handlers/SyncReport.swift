import CatalogSync
import JSON

/// What an invocation of the catalog or reconcile handler did, bucket by bucket, summed: the
/// JSON answer for direct and EventBridge delivery (and the reconcile), and the figures of its
/// metrics (`SyncReport+Metrics.swift`).
struct SyncReport {
    var records: Int
    var added = 0, updated = 0, removed = 0, unchanged = 0, writes = 0, bytesRead = 0
    var ignored: [SkippedKey] = []
    var skipped: [SkippedKey] = []
    /// Skipped keys, listed or not (the reconcile lists only the first ones).
    var skippedCount = 0
    var skippedByKind: [SkipKind: Int] = [:]
    /// Reconcile only: see `BucketSyncResult.remembered`, `.complete` and `.leftoversDropped`.
    var remembered = 0, leftoversDropped = 0
    var complete: Bool?
    var rounds = 0, lostWrites = 0
    var observeMs: Int64 = 0, readMs: Int64 = 0, writeMs: Int64 = 0, recheckMs: Int64 = 0, turnWaitMs: Int64 = 0
    /// Keys written for other writers of a big catalog (`BucketSyncResult.carried`).
    var carried = 0
    /// Keys found changed after a write and left to their own writers (`BucketSyncResult.staleLeft`).
    var staleLeft = 0
    /// Per bucket synced: its catalog's entries and bytes at the end.
    var catalogEntries: [Int] = []
    var catalogBytes: [Int64] = []
    /// Buckets whose sync failed, and events or SQS messages that could not be read at all.
    var failedBuckets = 0, invalidEvents = 0
    /// Keys whose reads failed alone: their records come back (the reconcile leaves them to its
    /// next run), the rest of their buckets written.
    var failedKeys = 0
    /// Records for a bucket this function does not serve (`BucketAllowList`), among `ignored`.
    var notServed = 0
    /// Per record applied: milliseconds from its `eventTime` to the moment the catalog held it.
    var lagsMs: [Double] = []

    mutating func add(_ result: BucketSyncResult) {
        if let s = result.summary {
            added += s.added
            updated += s.updated
            removed += s.removed
            unchanged += s.unchanged
        }
        writes += result.writes
        failedKeys += result.failedKeys.count
        bytesRead += result.bytesRead
        skipped += result.skipped
        skippedCount += result.skippedCount
        for (kind, n) in result.skippedByKind { skippedByKind[kind, default: 0] += n }
        remembered += result.remembered
        leftoversDropped += result.leftoversDropped
        if let done = result.complete { complete = (complete ?? true) && done }
        rounds += result.attempts
        lostWrites += result.lostWrites
        observeMs += result.observeMs
        readMs += result.readMs
        writeMs += result.writeMs
        recheckMs += result.recheckMs
        turnWaitMs += result.turnWaitMs
        carried += result.carried
        staleLeft += result.staleLeft
        if let entries = result.catalogEntries { catalogEntries.append(entries) }
        if let bytes = result.catalogBytes { catalogBytes.append(bytes) }
    }

    func json(leaving omitted: Set<String> = [], adding extra: JSONObject = [:]) -> [UInt8] {
        func list(_ keys: [SkippedKey]) -> JSONValue {
            .array(keys.map { .object(["key": .string($0.key), "reason": .string($0.reason)]) })
        }
        var object: JSONObject = extra
        var members: JSONObject = [
            "records": .int(records), "added": .int(added), "updated": .int(updated),
            "removed": .int(removed), "unchanged": .int(unchanged), "catalogWrites": .int(writes), "bytesRead": .int(bytesRead),
            "skipped": list(skipped + ignored),
        ]
        if skippedCount > skipped.count { members["skippedCount"] = .int(skippedCount + ignored.count) }
        if let complete {
            members["complete"] = .bool(complete)
            members["remembered"] = .int(remembered)
            members["leftoversDropped"] = .int(leftoversDropped)
        }
        for member in members.members where !omitted.contains(member.key) { object[member.key] = member.value }
        return JSONValue.object(object).serialized()
    }
}
