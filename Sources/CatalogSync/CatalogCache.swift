import CatalogFile

/// What a warm process keeps per bucket between invocations: the last catalog version it read
/// or wrote (while S3 still has it, a conditional GET answers 304 and nothing is downloaded or
/// parsed again), and what it learnt about re-checking by listing. A class, so that the copies
/// of a `CatalogUpdater` share it.
///
/// A big version is its index only (tens of bytes per 64 KiB block); a small one its entries.
public final class CatalogCache {
    var versions: [String: CatalogVersion] = [:]
    /// Re-checks that skip the listing after a listing did not reach the batch's largest key.
    var listingPause: [String: Int] = [:]
    /// Uploads of the catalog this process waited for until its waits ran out, with how long
    /// in all (ms): past `CatalogFile.turnWaitLimitMs`, their writers died (an abort that could
    /// not be sent, a timeout), and no writer of this process waits for them again.
    var outlasted: [String: [String: Int]] = [:]
    /// How long (ms) the last round that wrote the catalog took, from reading it to the
    /// completion: what a writer must keep for its own write when it waits for others, and when
    /// it judges whether another round fits before its deadline.
    var writeRoundMs: [String: Int64] = [:]

    public init() {}

    public func version(for bucket: String) -> CatalogVersion? { versions[bucket] }

    func outlast(_ uploads: [String], waitedMs: Int, in bucket: String) {
        guard !uploads.isEmpty else { return }
        if outlasted[bucket, default: [:]].count > 256 { outlasted[bucket] = [:] }   // a lifecycle rule aborts them anyway
        for upload in uploads { outlasted[bucket, default: [:]][upload, default: 0] += waitedMs }
    }

    /// The uploads of `bucket`'s catalog this process has waited for `limitMs` in all.
    func dead(in bucket: String, limitMs: Int) -> Set<String> {
        Set((outlasted[bucket] ?? [:]).filter { $0.value >= limitMs }.keys)
    }
}
