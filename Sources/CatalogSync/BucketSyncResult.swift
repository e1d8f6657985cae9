import Basics
import Catalog

public struct BucketSyncResult: Sendable {
    public init(bucket: String, attempts: Int = 0, wrote: Bool = false) {
        self.bucket = bucket
        self.attempts = attempts
        self.wrote = wrote
    }

    public var bucket: String
    public var summary: Catalog.ApplySummary?
    /// Keys left out of the catalog, with why: the first `skippedListLimit` of them.
    public var skipped: [SkippedKey] = []
    /// All keys left out, listed or not.
    public var skippedCount = 0
    /// How many skipped keys `skipped` lists (the reconcile keeps its answer small).
    public var skippedListLimit = Int.max
    /// Read-observe-write rounds, 1 when uncontended.
    public var attempts = 0
    public var wrote = false
    /// Bytes of image heads read to sniff formats and sizes.
    public var bytesRead = 0
    /// Reconcile only: non-images skipped without a request because the state object remembers
    /// them unchanged, and whether the pass reached the end of the listing (`false`: the next
    /// run goes on from where this one stopped).
    public var remembered = 0
    public var complete: Bool?

    mutating func skip(_ key: String, _ reason: String) {
        skippedCount += 1
        if skipped.count < skippedListLimit { skipped.append(SkippedKey(key: key, reason: reason)) }
    }

    /// Forgets the reasons given for `keys` (they are about to be observed again).
    mutating func unskip(_ keys: Set<ExactKey>) {
        let before = skipped.count
        skipped.removeAll { keys.contains(ExactKey($0.key)) }
        skippedCount -= before - skipped.count
    }
}

/// A key left out of the catalog, and why.
public struct SkippedKey: Equatable, Sendable {
    public var key: String
    public var reason: String

    public init(key: String, reason: String) {
        self.key = key
        self.reason = reason
    }
}
