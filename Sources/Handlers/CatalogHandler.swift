import Basics
import Catalog
import CatalogSync
import JSON
import LambdaRuntime
import S3Events

/// `_HANDLER=catalog`: applies S3 change notifications (direct, SQS or EventBridge) to each
/// bucket's catalog with one read and one conditional write per bucket per invocation.
public struct CatalogHandler: LambdaHandler {
    public var updater: CatalogUpdater
    public var log: RuntimeLog
    /// Records for buckets outside it are skipped with a reason (`BucketAllowList`).
    public var buckets: BucketAllowList = .any

    public init(updater: CatalogUpdater, buckets: BucketAllowList = .any, log: RuntimeLog = .standardError) {
        self.updater = updater
        self.buckets = buckets
        self.log = log
    }

    /// The real thing: an updater on S3, serving the configured buckets only.
    public init(configuration: CatalogConfiguration, log: RuntimeLog = .standardError) {
        self.init(updater: configuration.makeUpdater(), buckets: configuration.buckets, log: log)
    }

    public func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8] {
        updater.store.deadline = context.workDeadline
        let value: JSONValue
        do { value = try JSONValue(parsing: event) } catch { throw EventError("", "event is not JSON: \(error)") }
        switch buckets.screen(try EventDecoder.decode(value)) {
        case .s3(let records):
            return try applyAll(records, context: context)
        case .eventBridge(let record):
            return try applyAll([record], context: context)
        case .sqs(let messages):
            return applySQS(messages, context: context)
        }
    }

    /// Direct delivery: any bucket that fails fails the whole invocation, so Lambda retries it;
    /// re-applying the buckets that did succeed is harmless (the update is idempotent).
    private func applyAll(_ records: [RecordOutcome], context: InvocationContext) throws -> [UInt8] {
        var report = SyncReport(records: records.count)
        let failures = sync(records, into: &report, context: context)
        // The first failure is the invocation's error, which the runtime logs; log the others.
        for (bucket, error) in failures.dropFirst() {
            log(context, "s3://\(bucket): \(error.errorType): \(error.errorMessage)")
        }
        if let (_, error) = failures.first { throw error }
        return report.json()
    }

    /// SQS delivery: answer with the messages that must come back (`batchItemFailures`); every
    /// message whose body was unreadable or whose bucket failed is listed, the rest are done.
    private func applySQS(_ messages: [SQSMessage], context: InvocationContext) -> [UInt8] {
        var failed: [String] = []
        var messageRecords: [(id: String, records: [RecordOutcome])] = []
        for message in messages {
            switch message.records {
            case .success(let records): messageRecords.append((message.messageID, records))
            case .failure(let error):
                log(context, "SQS message \(message.messageID): \(error)")
                failed.append(message.messageID)
            }
        }
        var report = SyncReport(records: 0)
        let failures = sync(messageRecords.flatMap(\.records), into: &report, context: context)
        for (bucket, error) in failures { log(context, "s3://\(bucket): \(error.errorType): \(error.errorMessage)") }
        let failedBuckets = Set(failures.map(\.bucket))
        for (id, records) in messageRecords where records.contains(where: { record in
            if case .change(let n) = record { failedBuckets.contains(n.bucket) } else { false }
        }) {
            failed.append(id)
        }
        let items = failed.map { JSONValue.object(["itemIdentifier": .string($0)]) }
        return JSONValue.object(["batchItemFailures": .array(items)]).serialized()
    }

    /// Syncs every bucket the records touch, one read and one write each; logs the keys skipped
    /// and returns the buckets that failed, in order.
    private func sync(_ records: [RecordOutcome], into report: inout SyncReport, context: InvocationContext)
        -> [(bucket: String, error: CatalogUpdateError)] {
        var failures: [(bucket: String, error: CatalogUpdateError)] = []
        for (bucket, keys) in plan(records, report: &report) {
            do throws(CatalogUpdateError) {
                report.add(try updater.sync(bucket: bucket, keys: keys, deadline: context.workDeadline))
            } catch {
                failures.append((bucket, error))
            }
        }
        for skipped in report.skipped { log(context, "skipped \(skipped.key): \(skipped.reason)") }
        return failures
    }

    /// Distinct keys per bucket, in first-seen order, minus what is not a catalog matter.
    private func plan(_ records: [RecordOutcome], report: inout SyncReport) -> [(bucket: String, keys: [String])] {
        var order: [String] = []
        var keysByBucket: [String: [String]] = [:]
        // Byte for byte: keys that differ only in Unicode normalization are two objects.
        var seen: [String: Set<ExactKey>] = [:]
        for record in records {
            switch record {
            case .ignored(let key, let reason):
                report.ignored.append(SkippedKey(key: key ?? "", reason: reason))
            case .change(let n) where ExactKey(n.key) == ExactKey(updater.catalogKey):
                report.ignored.append(SkippedKey(key: n.key, reason: "the catalog itself (no self-trigger)"))
            case .change(let n) where ExactKey(n.key) == ExactKey(updater.stateKey):
                report.ignored.append(SkippedKey(key: n.key, reason: "the reconcile's state object"))
            case .change(let n):
                guard seen[n.bucket, default: []].insert(ExactKey(n.key)).inserted else { continue }
                if keysByBucket[n.bucket] == nil { order.append(n.bucket) }
                keysByBucket[n.bucket, default: []].append(n.key)
            }
        }
        return order.map { ($0, keysByBucket[$0]!) }
    }

    private func log(_ context: InvocationContext, _ line: String) {
        log("\(context.requestID) \(line)")
    }
}

