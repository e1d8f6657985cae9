import CatalogSync
import JSON
import LambdaRuntime

/// `_HANDLER=reconcile`: rebuilds or repairs the catalog of `CATALOG_BUCKET` from a listing of
/// the bucket (only under `CATALOG_PREFIX` when set), for a schedule (S3 says notifications can, rarely, be lost). The event itself is
/// ignored: a scheduled EventBridge event, `{}`, anything. Each run writes one EMF document,
/// failed or not.
public struct ReconcileHandler: LambdaHandler {
    public var updater: CatalogUpdater
    public var bucket: String
    public var prefix: String
    public var telemetry: HandlerTelemetry

    public init(updater: CatalogUpdater, bucket: String, prefix: String = "", telemetry: HandlerTelemetry = HandlerTelemetry()) {
        self.updater = updater
        self.bucket = bucket
        self.prefix = prefix
        self.telemetry = telemetry
    }

    public init(configuration: ReconcileConfiguration, telemetry: HandlerTelemetry) {
        self.init(updater: configuration.catalog.makeUpdater(meter: telemetry.s3), bucket: configuration.bucket,
                  prefix: configuration.prefix, telemetry: telemetry)
    }

    /// The catalog's clean-up requests (indexes of replaced versions, uploads nothing
    /// completed) are collected once the answer is posted, not before.
    public func afterAnswer() { updater.store.settle() }

    /// Keys whose reads failed logged one by one in a run; the rest are counted.
    static let failuresLogged = 20

    public func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8] {
        updater.store.deadline = context.workDeadline
        // The clean-up after the answer (`afterAnswer`) may use the margin the work left: an
        // invocation that worked to its deadline still sends its aborts, instead of leaving a
        // big catalog's parts (and a rival upload other writers wait behind) to the lifecycle.
        defer { updater.store.deadline = context.deadline }
        updater.store.traceHeader = telemetry.traceHeader(for: context)
        var report = SyncReport(records: 0)
        var result = BucketSyncResult(bucket: bucket)
        defer {
            report.add(result)
            var document = telemetry.metrics.document()
            report.write(to: &document, countingRecords: false)
            telemetry.emit(document, context: context)
        }
        do {
            try updater.reconcile(bucket: bucket, prefix: prefix, deadline: context.workDeadline, into: &result)
        } catch {
            report.failedBuckets = 1
            throw error
        }
        let log = telemetry.log.with(requestID: context.requestID)
        for failed in result.failedKeys.prefix(Self.failuresLogged) {
            log.warn("s3://\(bucket)/\(failed.key): its read failed, left for the next run: \(failed.error)",
                     ["bucket": .string(bucket), "key": .string(failed.key), "errorType": .string(failed.error.errorType)])
        }
        if result.failedKeys.count > Self.failuresLogged {
            log.warn("s3://\(bucket): \(result.failedKeys.count - Self.failuresLogged) more keys whose reads failed, left for the next run (KeysFailed)",
                     ["bucket": .string(bucket)])
        }
        var answer = report
        answer.add(result)
        return answer.json(leaving: ["records"], adding: ["bucket": .string(bucket)])
    }
}
