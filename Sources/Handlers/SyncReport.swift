import CatalogSync
import JSON

/// The invocation's JSON answer for direct and EventBridge delivery (and the reconcile).
struct SyncReport {
    var records: Int
    var added = 0, updated = 0, removed = 0, unchanged = 0, writes = 0, bytesRead = 0
    var ignored: [SkippedKey] = []
    var skipped: [SkippedKey] = []
    /// Skipped keys, listed or not (the reconcile lists only the first ones).
    var skippedCount = 0
    /// Reconcile only: see `BucketSyncResult.remembered` and `.complete`.
    var remembered = 0
    var complete: Bool?

    mutating func add(_ result: BucketSyncResult) {
        if let s = result.summary {
            added += s.added
            updated += s.updated
            removed += s.removed
            unchanged += s.unchanged
        }
        if result.wrote { writes += 1 }
        bytesRead += result.bytesRead
        skipped += result.skipped
        skippedCount += result.skippedCount
        remembered += result.remembered
        if let done = result.complete { complete = (complete ?? true) && done }
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
        }
        for member in members.members where !omitted.contains(member.key) { object[member.key] = member.value }
        return JSONValue.object(object).serialized()
    }
}
