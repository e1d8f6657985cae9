import Basics
import Catalog

/// The catalog as the API serves it: every entry, sorted by name (byte order), with the S3
/// ETag of the file it came from.
///
/// Sorted once per catalog version, then reused while the function stays warm: a page or a
/// lookup is a binary search. Memory is about one parsed entry per image, which for a
/// 128 MB function is fine up to tens of thousands of images.
public struct CatalogView: Sendable {
    public let etag: String
    public let entries: [CatalogEntry]

    /// Parses and sorts a catalog file. Throws `CatalogError` for a file that is not a catalog.
    public init(bytes: [UInt8], etag: String) throws(CatalogError) {
        let catalog = try Catalog(parsing: bytes)
        self.etag = etag
        self.entries = catalog.entries.sorted { ExactKey($0.name) < ExactKey($1.name) }
    }

    /// The entry named exactly `name` (byte for byte), if any.
    public func entry(named name: String) -> CatalogEntry? {
        let i = firstIndex(after: name, inclusive: true)
        return i < entries.count && entries[i].name.utf8.elementsEqual(name.utf8) ? entries[i] : nil
    }

    /// Up to `query.limit` entries after `query.after` that pass the type filter, and the cursor
    /// of the next page (`nil` when nothing passes after these).
    public func page(_ query: ListQuery) -> (entries: [CatalogEntry], nextCursor: String?) {
        var result: [CatalogEntry] = []
        result.reserveCapacity(min(query.limit, entries.count))
        var i = query.after.map { firstIndex(after: $0, inclusive: false) } ?? 0
        while i < entries.count {
            if query.matches(type: entries[i].type) {
                if result.count == query.limit {
                    return (result, ListCursor.encode(result[result.count - 1].name))
                }
                result.append(entries[i])
            }
            i += 1
        }
        return (result, nil)
    }

    /// The first index whose name is ≥ `name` (`inclusive`) or > `name`.
    func firstIndex(after name: String, inclusive: Bool) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            let before = inclusive ? ExactKey(entries[mid].name) < ExactKey(name) : !(ExactKey(name) < ExactKey(entries[mid].name))
            if before { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

/// The last catalog read, kept between invocations of a warm function so that an unchanged
/// catalog costs one conditional GET (304) instead of a download and a parse.
public final class CatalogViewCache {
    public var view: CatalogView?

    public init(view: CatalogView? = nil) { self.view = view }
}
