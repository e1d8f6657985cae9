import Basics
import Catalog
import CatalogFile
import CatalogSync
import JSON
import LambdaRuntime
import S3Events
import Telemetry

/// `_HANDLER=catalog`: applies S3 change notifications (direct, SQS or EventBridge) to each
/// bucket's catalog with one read and one conditional write per bucket per invocation.
///
/// Each invocation writes one EMF document (`SyncReport+Metrics.swift`), failed or not, and
/// logs each skipped key at the level its reason deserves (a non-image `INFO`, a key S3 refuses
/// or an unreadable header `WARN`) and each failed bucket or message `ERROR`.
public struct CatalogHandler: LambdaHandler {
    public var updater: CatalogUpdater
    /// Records for buckets outside it are skipped with a reason (`BucketAllowList`).
    public var buckets: BucketAllowList = .any
    public var telemetry: HandlerTelemetry

    public init(updater: CatalogUpdater, buckets: BucketAllowList = .any, telemetry: HandlerTelemetry = HandlerTelemetry()) {
        self.updater = updater
        self.buckets = buckets
        self.telemetry = telemetry
    }

    /// The real thing: an updater on S3 (its requests counted by the telemetry's meter), serving
    /// the configured buckets only.
    public init(configuration: CatalogConfiguration, telemetry: HandlerTelemetry) {
        self.init(updater: configuration.makeUpdater(meter: telemetry.s3), buckets: configuration.buckets, telemetry: telemetry)
    }

    /// The catalog's clean-up requests (indexes of replaced versions, uploads nothing
    /// completed) are collected once the answer is posted, not before.
    public func afterAnswer() { updater.store.settle() }

    public func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8] {
        updater.store.deadline = context.workDeadline
        // The clean-up after the answer (`afterAnswer`) may use the margin the work left: an
        // invocation that worked to its deadline still sends its aborts, instead of leaving a
        // big catalog's parts (and a rival upload other writers wait behind) to the lifecycle.
        defer { updater.store.deadline = context.deadline }
        updater.store.traceHeader = telemetry.traceHeader(for: context)
        let log = telemetry.log.with(requestID: context.requestID)
        var report = SyncReport(records: 0)
        defer {
            var document = telemetry.metrics.document()
            report.write(to: &document, countingRecords: true)
            telemetry.emit(document, context: context)
        }
        let delivered: DeliveredEvent
        var notServed: [ObjectNotification] = []
        do {
            let value: JSONValue
            do { value = try JSONValue(parsing: event) } catch { throw EventError("", "event is not JSON: \(error)") }
            delivered = buckets.screen(try EventDecoder.decode(value), notServed: &notServed)
        } catch {
            report.invalidEvents = 1
            throw error
        }
        // A record for another bucket is never applied: someone routed it here by mistake (or
        // CATALOG_BUCKET(S) names the wrong bucket), and without this line nothing would show it.
        report.notServed = notServed.count
        for n in notServed {
            let reason = buckets.notServedReason(n.bucket)
            log.warn("ignored \(n.key): \(reason)", ["key": .string(n.key), "reason": .string(reason)])
        }
        switch delivered {
        case .s3(let records):
            return try applyAll(records, into: &report, context: context, log: log)
        case .eventBridge(let record):
            return try applyAll([record], into: &report, context: context, log: log)
        case .sqs(let messages):
            return applySQS(messages, into: &report, context: context, log: log)
        }
    }

    /// Direct delivery: any bucket that fails fails the whole invocation, so Lambda retries it;
    /// re-applying the buckets that did succeed is harmless (the update is idempotent).
    private func applyAll(_ records: [RecordOutcome], into report: inout SyncReport, context: InvocationContext,
                          log: Logger) throws -> [UInt8] {
        report.records = records.count
        let failures = sync(records, into: &report, context: context, log: log)
        // The first failure is the invocation's error, which the runtime logs; log the others.
        for failure in failures.dropFirst() where failure.keys == nil { logFailure(failure.error, bucket: failure.bucket, log: log) }
        if let failure = failures.first { throw failure.error }
        return report.json()
    }

    /// SQS delivery: answer with the messages that must come back (`batchItemFailures`); every
    /// message whose body was unreadable or whose bucket failed is listed, the rest are done.
    private func applySQS(_ messages: [SQSMessage], into report: inout SyncReport, context: InvocationContext,
                          log: Logger) -> [UInt8] {
        var failed: [String] = []
        var messageRecords: [(id: String, records: [RecordOutcome])] = []
        for message in messages {
            switch message.records {
            case .success(let records): messageRecords.append((message.messageID, records))
            case .failure(let error):
                log.error("SQS message \(message.messageID): \(error)",
                          ["messageId": .string(message.messageID), "errorType": .string(error.errorType)])
                report.invalidEvents += 1
                failed.append(message.messageID)
            }
        }
        let records = messageRecords.flatMap(\.records)
        report.records = records.count
        let failures = sync(records, into: &report, context: context, log: log)
        for failure in failures where failure.keys == nil { logFailure(failure.error, bucket: failure.bucket, log: log) }
        let failedBuckets = Set(failures.filter { $0.keys == nil }.map(\.bucket))
        var failedKeys: [String: Set<ExactKey>] = [:]
        for failure in failures { if let keys = failure.keys { failedKeys[failure.bucket, default: []].formUnion(keys) } }
        // Only a message with a change the failed bucket was to write (one whose changes were
        // all ignored, the catalog's own objects, would come back for nothing, and again), or
        // with a key whose read failed alone.
        for (id, records) in messageRecords where records.contains(where: { record in
            guard case .change(let n) = record, ignoredReason(n.key) == nil else { return false }
            return failedBuckets.contains(n.bucket) || failedKeys[n.bucket]?.contains(ExactKey(n.key)) == true
        }) {
            failed.append(id)
        }
        let items = failed.map { JSONValue.object(["itemIdentifier": .string($0)]) }
        return JSONValue.object(["batchItemFailures": .array(items)]).serialized()
    }

    /// Syncs every bucket the records touch, one read and one write each; logs the keys skipped
    /// and returns the buckets that failed, in order: whole (`keys` nil), or only for keys whose
    /// reads failed alone (logged here), the rest of the bucket written.
    private func sync(_ records: [RecordOutcome], into report: inout SyncReport, context: InvocationContext, log: Logger)
        -> [(bucket: String, error: CatalogUpdateError, keys: Set<ExactKey>?)] {
        var failures: [(bucket: String, error: CatalogUpdateError, keys: Set<ExactKey>?)] = []
        for planned in plan(records, report: &report) {
            var result = BucketSyncResult(bucket: planned.bucket)
            do throws(CatalogUpdateError) {
                try updater.sync(bucket: planned.bucket, keys: planned.keys, deadline: context.workDeadline, into: &result)
                if let settled = result.settledAtMs {
                    report.lagsMs += planned.eventTimes.map { Double(max(0, settled - $0)) }
                }
                log.debug("s3://\(planned.bucket): \(result.summary.map { "\($0.added) added, \($0.updated) updated, \($0.removed) removed, \($0.unchanged) unchanged" } ?? "nothing applied") in \(result.attempts) round(s)",
                          ["bucket": .string(planned.bucket), "rounds": .int(result.attempts), "lostWrites": .int(result.lostWrites),
                           "catalogWrites": .int(result.writes)])
                // Only this invocation's keys: one carried for another writer is no record of
                // its own (the updater left it for the reconcile).
                let mine = Set(planned.keys.map(ExactKey.init))
                let failedHere = result.failedKeys.filter { mine.contains(ExactKey($0.key)) }
                for failed in failedHere {
                    log.error("s3://\(planned.bucket)/\(failed.key): not cataloged, its record comes back: \(failed.error)",
                              ["bucket": .string(planned.bucket), "key": .string(failed.key), "errorType": .string(failed.error.errorType)])
                }
                if let first = failedHere.first {
                    failures.append((planned.bucket, first.error, Set(failedHere.map { ExactKey($0.key) })))
                }
            } catch {
                report.failedBuckets += 1
                failures.append((planned.bucket, error, nil))
            }
            report.add(result)
        }
        for skipped in report.skipped { logSkip(skipped, log: log) }
        return failures
    }

    /// A key left out: `INFO` when it is not an image (nothing to do), `WARN` when S3 refuses it
    /// or its header is unreadable (someone should look).
    private func logSkip(_ skipped: SkippedKey, log: Logger) {
        let level: LogLevel = switch skipped.kind {
        case .refused?, .unreadable?: .warn
        case .notImage?, nil: .info
        }
        log.log(level, "skipped \(skipped.key): \(skipped.reason)",
                ["key": .string(skipped.key), "reason": .string(skipped.reason), "skip": .string(skipped.kind?.rawValue ?? "ignored")])
    }

    private func logFailure(_ error: CatalogUpdateError, bucket: String, log: Logger) {
        log.error("s3://\(bucket): \(error.errorType): \(error.errorMessage)", ["bucket": .string(bucket), "errorType": .string(error.errorType)])
    }

    /// Distinct keys per bucket, in first-seen order, minus what is not a catalog matter, with
    /// the event time of every record that names the bucket (for the lag metric).
    private func plan(_ records: [RecordOutcome], report: inout SyncReport)
        -> [(bucket: String, keys: [String], eventTimes: [Int64])] {
        var order: [String] = []
        var keysByBucket: [String: [String]] = [:]
        var timesByBucket: [String: [Int64]] = [:]
        // Byte for byte: keys that differ only in Unicode normalization are two objects.
        var seen: [String: Set<ExactKey>] = [:]
        for record in records {
            switch record {
            case .ignored(let key, let reason):
                report.ignored.append(SkippedKey(key: key ?? "", reason: reason))
            case .change(let n):
                if let reason = ignoredReason(n.key) {
                    report.ignored.append(SkippedKey(key: n.key, reason: reason))
                    continue
                }
                if let time = n.eventTime { timesByBucket[n.bucket, default: []].append(time) }
                guard seen[n.bucket, default: []].insert(ExactKey(n.key)).inserted else { continue }
                if keysByBucket[n.bucket] == nil { order.append(n.bucket) }
                keysByBucket[n.bucket, default: []].append(n.key)
            }
        }
        return order.map { ($0, keysByBucket[$0]!, timesByBucket[$0] ?? []) }
    }

    /// Why a change to `key` is not one to catalog (the catalog's own objects: no self-trigger),
    /// or `nil`.
    private func ignoredReason(_ key: String) -> String? {
        if ExactKey(key) == ExactKey(updater.catalogKey) { return "the catalog itself (no self-trigger)" }
        if CatalogFile.isPart(key, ofCatalog: updater.catalogKey) { return "an index of the catalog" }
        if ExactKey(key) == ExactKey(updater.stateKey) { return "the reconcile's state object" }
        if updater.isHandover(key) { return "changes a waiting writer handed over" }
        return nil
    }
}
