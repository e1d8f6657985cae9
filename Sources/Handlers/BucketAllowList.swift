import Basics
import S3Events

/// The buckets the `catalog` function was deployed for. A notification for any other bucket (a
/// misrouted subscription, a queue shared by mistake, a hand-made event) is skipped with a
/// reason instead of making the function write a catalog into a bucket nobody meant it to own.
///
/// Read from `CATALOG_BUCKETS` (comma-separated) or else `CATALOG_BUCKET`; with neither set every
/// bucket is served (local tools and tests use many buckets). Names compare byte for byte.
public struct BucketAllowList: Equatable, Sendable {
    /// `nil`: any bucket.
    public var buckets: [String]?

    public init(_ buckets: [String]?) { self.buckets = buckets }

    public static let any = BucketAllowList(nil)

    /// `CATALOG_BUCKETS` (`a,b`; blanks around names and empty items ignored), else
    /// `CATALOG_BUCKET`, else `.any`.
    public init(_ environment: Environment) {
        if let list = environment.get("CATALOG_BUCKETS") {
            let names = list.split(separator: ",").map { ASCII.trimmed(String($0)) }.filter { !$0.isEmpty }
            self.init(names.isEmpty ? nil : names)
        } else {
            self.init(environment.get("CATALOG_BUCKET").map { [$0] })
        }
    }

    public func admits(_ bucket: String) -> Bool {
        guard let buckets else { return true }
        return buckets.contains { $0.utf8.elementsEqual(bucket.utf8) }
    }

    /// `event` with every change to a bucket not admitted turned into an ignored record (so it
    /// is reported, never applied, and under SQS its message is not retried: it is not ours).
    public func screen(_ event: DeliveredEvent) -> DeliveredEvent {
        guard buckets != nil else { return event }
        switch event {
        case .s3(let records): return .s3(records: records.map(screen))
        case .eventBridge(let record): return .eventBridge(screen(record))
        case .sqs(let messages):
            return .sqs(messages: messages.map { message in
                var copy = message
                copy.records = message.records.map { $0.map(screen) }
                return copy
            })
        }
    }

    func screen(_ record: RecordOutcome) -> RecordOutcome {
        guard case .change(let n) = record, !admits(n.bucket) else { return record }
        let served = (buckets ?? []).joined(separator: ", ")
        return .ignored(key: n.key, reason: "bucket \(n.bucket) is not the one this function serves (\(served))")
    }
}
