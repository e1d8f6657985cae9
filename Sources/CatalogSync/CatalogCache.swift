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
    /// Uploads of the catalog a writer waited for until its wait ran out: their writers
    /// probably died, and no writer of this process waits for them again.
    var outlasted: [String: Set<String>] = [:]

    public init() {}

    public func version(for bucket: String) -> CatalogVersion? { versions[bucket] }

    func outlast(_ uploads: [String], in bucket: String) {
        guard !uploads.isEmpty else { return }
        if outlasted[bucket, default: []].count > 256 { outlasted[bucket] = [] }   // a lifecycle rule aborts them anyway
        outlasted[bucket, default: []].formUnion(uploads)
    }
}
