import Catalog

/// One version of a bucket's catalog, as far as it was read: its ETag, its index, and for a small
/// catalog (or one being converted) all of its entries.
public struct CatalogVersion: Sendable {
    /// `nil`: there is no catalog yet.
    public var etag: String?
    public var index: CatalogIndex
    /// Every entry, in imagecat's form, when the catalog was read whole: small, or not in
    /// imagecat's form (then `index` describes these bytes, not the stored ones).
    public var whole: EntryRun?
    /// The stored bytes differ from `whole` (another order, other whitespace, duplicates): the
    /// next write rewrites everything, converted.
    public var needsConversion = false
    /// Duplicate names the stored file had: such a file is rewritten even when nothing else
    /// changes.
    public var duplicatesRemoved = 0
    /// `index` was rebuilt from the bytes in this process: right even where the stored index
    /// of this ETag is distrusted (`IndexDistrust`).
    var indexRebuilt = false

    public init(etag: String?, index: CatalogIndex, whole: EntryRun?) {
        self.etag = etag
        self.index = index
        // An index of no blocks is the empty catalog, `[]\n`, every entry of it known: whole. (A
        // big catalog that a splice emptied came back without, and a write over it trapped.)
        self.whole = whole ?? (index.blocks.isEmpty ? .emptyCatalog : nil)
    }

    /// The catalog's size in bytes as stored (for a converted one: as it will be written).
    public var size: Int64 { index.size }
}
