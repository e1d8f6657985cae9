import CatalogSync
import JSON
import LambdaRuntime

/// `_HANDLER=reconcile`: rebuilds or repairs the catalog of `CATALOG_BUCKET` from a listing of
/// the bucket (only under `CATALOG_PREFIX` when set), for a schedule (S3 says notifications can, rarely, be lost). The event itself is
/// ignored: a scheduled EventBridge event, `{}`, anything.
public struct ReconcileHandler: LambdaHandler {
    public var updater: CatalogUpdater
    public var bucket: String
    public var prefix: String

    public init(updater: CatalogUpdater, bucket: String, prefix: String = "") {
        self.updater = updater
        self.bucket = bucket
        self.prefix = prefix
    }

    public init(configuration: ReconcileConfiguration) {
        self.init(updater: configuration.catalog.makeUpdater(), bucket: configuration.bucket, prefix: configuration.prefix)
    }

    public func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8] {
        updater.store.deadline = context.workDeadline
        var report = SyncReport(records: 0)
        report.add(try updater.reconcile(bucket: bucket, prefix: prefix, deadline: context.workDeadline))
        return report.json(leaving: ["records"], adding: ["bucket": .string(bucket)])
    }
}
