import Basics
import S3Events

/// The buckets the `catalog` function was deployed for. A notification for any other bucket (a
/// misrouted subscription, a queue shared by mistake, a hand-made event) is skipped with a
/// reason instead of making the function write a catalog into a bucket nobody meant it to own.
///
/// Read from `CATALOG_BUCKETS` (comma-separated) or else `CATALOG_BUCKET`; with neither set every
/// bucket is served (local tools and tests use many buckets). Names compare byte for byte, so a
/// name that is not a bucket name (a space, an ARN, `s3://…`) stops the start-up rather than
/// leave every notification ignored.
public struct BucketAllowList: Equatable, Sendable {
    /// `nil`: any bucket.
    public var buckets: [String]?

    public init(_ buckets: [String]?) { self.buckets = buckets }

    public static let any = BucketAllowList(nil)

    /// `CATALOG_BUCKETS` (`a,b`; blanks around names and empty items ignored), else
    /// `CATALOG_BUCKET` (blanks around it ignored), else `.any`. A list that names no bucket is
    /// refused: it would otherwise serve every bucket.
    public init(_ environment: Environment) throws(ConfigurationError) {
        let variable = environment.get("CATALOG_BUCKETS") != nil ? "CATALOG_BUCKETS" : "CATALOG_BUCKET"
        guard let value = environment.get(variable) else {
            self.init(nil)
            return
        }
        let names = value.split(separator: ",").map { ASCII.trimmed(String($0)) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw ConfigurationError(variable, "=\(value) names no bucket") }
        for name in names where !Self.isBucketName(name) {
            throw ConfigurationError(variable, "=\(value): \(name) is not a bucket name (3 to 255 letters, digits, "
                                     + "'.', '-' or '_', starting and ending with a letter or digit; no ARN or s3:// prefix)")
        }
        self.init(names)
    }

    /// What S3 has ever allowed as a bucket name (today's rules and the older, laxer ones of
    /// us-east-1).
    static func isBucketName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        func alnum(_ b: UInt8) -> Bool { (48...57).contains(b) || (65...90).contains(b) || (97...122).contains(b) }
        guard (3...255).contains(bytes.count), alnum(bytes.first!), alnum(bytes.last!) else { return false }
        return bytes.allSatisfy { alnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    /// Why a change to `bucket` is ignored.
    func notServedReason(_ bucket: String) -> String {
        "bucket \(bucket) is not the one this function serves (\((buckets ?? []).joined(separator: ", ")))"
    }

    public func admits(_ bucket: String) -> Bool {
        guard let buckets else { return true }
        return buckets.contains { $0.utf8.elementsEqual(bucket.utf8) }
    }

    /// `event` with every change to a bucket not admitted turned into an ignored record (so it
    /// is reported, never applied, and under SQS its message is not retried: it is not ours).
    /// Those changes are added to `notServed`: the handler logs and counts them.
    public func screen(_ event: DeliveredEvent, notServed: inout [ObjectNotification]) -> DeliveredEvent {
        guard buckets != nil else { return event }
        func screen(_ record: RecordOutcome) -> RecordOutcome {
            guard case .change(let n) = record, !admits(n.bucket) else { return record }
            notServed.append(n)
            return .ignored(key: n.key, reason: notServedReason(n.bucket))
        }
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
}
