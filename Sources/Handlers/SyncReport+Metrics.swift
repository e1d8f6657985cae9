import CatalogSync
import Telemetry

extension SyncReport {
    /// The report as metrics (names the dashboard and alarms are built on): what was received,
    /// applied and skipped, what it cost (rounds, lost writes, phases, bytes) and how far
    /// behind the catalog is (`CatalogLag`). `RecordsReceived` only for handlers that receive
    /// records (not the reconcile).
    func write(to document: inout MetricsDocument, countingRecords: Bool) {
        if countingRecords { document.count("RecordsReceived", records) }
        document.count("EntriesAdded", added)
        document.count("EntriesUpdated", updated)
        document.count("EntriesRemoved", removed)
        document.count("EntriesUnchanged", unchanged)
        document.count("KeysSkipped", skippedByKind.values.reduce(0, +))
        document.count("KeysSkippedNotImage", skippedByKind[.notImage] ?? 0)
        document.count("KeysSkippedRefused", skippedByKind[.refused] ?? 0)
        document.count("KeysSkippedUnreadable", skippedByKind[.unreadable] ?? 0)
        document.count("InvalidEvents", invalidEvents)
        if countingRecords { document.count("RecordsNotServed", notServed) }
        document.count("CatalogWrites", writes)
        document.count("LostWrites", lostWrites)
        document.count("Rounds", rounds)
        document.count("KeysCarried", carried)
        document.count("StaleKeysLeft", staleLeft)
        document.count("FailedBuckets", failedBuckets)
        document.count("KeysFailed", failedKeys)
        document.record("ObservedBytes", Double(bytesRead), unit: .bytes)
        document.record("CatalogEntries", catalogEntries.map(Double.init), unit: .count)
        document.record("CatalogBytes", catalogBytes.map(Double.init), unit: .bytes)
        if rounds > 0 {
            document.record("ObserveDuration", Double(observeMs), unit: .milliseconds)
            document.record("ReadDuration", Double(readMs), unit: .milliseconds)
            document.record("WriteDuration", Double(writeMs), unit: .milliseconds)
            document.record("RecheckDuration", Double(recheckMs), unit: .milliseconds)
            document.record("TurnWaitDuration", Double(turnWaitMs), unit: .milliseconds)
        }
        document.record("CatalogLag", lagsMs, unit: .milliseconds)
    }
}
