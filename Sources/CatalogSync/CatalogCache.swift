import Catalog

/// Per-bucket catalogs a warm process keeps (see `CatalogUpdater.cache`), and what it learnt
/// about re-checking by listing. A class, so that the copies of a `CatalogUpdater` share it.
///
/// A `Catalog` keeps the bytes of every entry it ever stored, so a catalog updated in place
/// across thousands of warm invocations would grow without bound (3,000 updates of one key left
/// a 98-byte catalog holding a 279 KB buffer). The cache counts the entries changed since the
/// catalog was last parsed and, once they reach half its entries (at least
/// `compactAfterChanges`), keeps a fresh parse of the bytes just written instead: the garbage
/// stays below about half the catalog's size, and the parse costs about two entries' worth per
/// changed entry.
public final class CatalogCache {
    struct Cached {
        var etag: String
        var catalog: Catalog
        /// Entries changed in place since `catalog` was parsed.
        var changesSinceParse = 0
    }

    var entries: [String: Cached] = [:]
    /// Re-checks that skip the listing after a listing did not reach the batch's largest key.
    var listingPause: [String: Int] = [:]
    public var compactAfterChanges = 64

    public init() {}

    public func catalog(for bucket: String) -> (etag: String, catalog: Catalog)? {
        entries[bucket].map { ($0.etag, $0.catalog) }
    }

    /// Keeps a catalog just parsed from S3's bytes.
    func keepParsed(_ bucket: String, etag: String, catalog: Catalog) {
        // Not when loading dropped duplicates: that catalog would report a change on every apply.
        entries[bucket] = catalog.duplicatesRemoved == 0 ? Cached(etag: etag, catalog: catalog) : nil
    }

    /// Keeps the catalog just written as `bytes`, with `changed` entries changed in place.
    func keepWritten(_ bucket: String, etag: String, catalog: Catalog, bytes: [UInt8], changed: Int) {
        guard catalog.duplicatesRemoved == 0 else { entries[bucket] = nil; return }
        let debt = (entries[bucket]?.changesSinceParse ?? 0) + changed
        if debt >= max(compactAfterChanges, catalog.count / 2), let fresh = try? Catalog(parsing: bytes) {
            entries[bucket] = Cached(etag: etag, catalog: fresh)
        } else {
            entries[bucket] = Cached(etag: etag, catalog: catalog, changesSinceParse: debt)
        }
    }

    func forget(_ bucket: String) { entries[bucket] = nil }
}
