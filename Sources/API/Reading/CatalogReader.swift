import Basics
import Catalog
import CatalogFile

/// The catalog as the API reads it: pages and single entries, reading only the blocks they lie
/// in. A small catalog comes whole with one GET; a big one costs its index once per version and
/// one ranged GET per page (a few when a type filter skips blocks). `cache` keeps the version
/// between invocations of a warm function, so a page of an unchanged catalog is one request.
public struct CatalogReader {
    public var file: CatalogFile
    public var cache: CatalogReaderCache
    /// A page reads at most this many blocks: a rare type is answered with a short page and a
    /// cursor to go on from, not a scan of the whole catalog.
    public var maxBlocksPerPage = 16

    public init(file: CatalogFile, cache: CatalogReaderCache) {
        self.file = file
        self.cache = cache
    }

    /// A page of `query`, and the ETag of the version it comes from.
    public func page(_ query: ListQuery) throws(CatalogFileError) -> (entries: [CatalogEntry], nextCursor: String?, etag: String?) {
        try retrying { (version) throws(CatalogFileError) in
            let page = try page(query, of: version)
            return (page.entries, page.nextCursor, version.etag)
        }
    }

    /// The entry named exactly `name`, and the ETag of the version it comes from.
    public func entry(named name: String) throws(CatalogFileError) -> (entry: CatalogEntry?, etag: String?) {
        try retrying { (version) throws(CatalogFileError) in
            let key = ExactKey(name)
            let block = version.index.blocks.isEmpty ? 0 : version.index.block(containing: key)
            let run = try file.entries(of: version, blocks: version.index.blocks.isEmpty ? [0..<0] : [block..<(block + 1)])[0]
            let i = run.firstIndex(notBefore: key.bytes)
            let found = i < run.count && run.nameBytes(i).elementsEqual(key.bytes) ? run.entry(i) : nil
            return (found, version.etag)
        }
    }

    /// Whether the catalog is still the version with ETag `etag` (a 304), without reading it.
    public func isCurrent(_ etag: String) throws(CatalogFileError) -> Bool { try file.isCurrent(etag) }

    /// Runs `body` on the cached version (a big version is checked by its reads: `If-Match`), or
    /// on the current one when there is none or it has changed.
    private func retrying<T>(_ body: (CatalogVersion) throws(CatalogFileError) -> T) throws(CatalogFileError) -> T {
        var version = try current(cache.version.flatMap { $0.whole == nil ? $0 : nil })
        for _ in 0..<3 {
            do throws(CatalogFileError) { return try body(version) } catch .changed {
                version = try current(nil)
            }
        }
        return try body(version)
    }

    /// `cached` as it is (a big version: its block reads say if it changed), else the current
    /// version, revalidating a small cached one with a 304.
    private func current(_ big: CatalogVersion?) throws(CatalogFileError) -> CatalogVersion {
        if let big { return big }
        let version = try file.current(cached: cache.version)
        cache.version = version
        return version
    }

    private func page(_ query: ListQuery, of version: CatalogVersion) throws(CatalogFileError) -> (entries: [CatalogEntry], nextCursor: String?) {
        let index = version.index
        let prefix = Array(query.prefix.utf8)
        let ascending = query.order == .name
        // Where the page starts: after the cursor, else at the start (end) of the prefix's names.
        let start: [UInt8]? = query.after.map { Array($0.utf8) } ?? (ascending ? prefix : Self.end(ofPrefix: prefix))
        let matchingTypes = query.type.map { type in index.typeBits { ImageType.canonical($0) == type } } ?? ~0
        var entries: [CatalogEntry] = []
        var last: [UInt8]?
        var blocks: [Int]
        if version.whole != nil || index.blocks.isEmpty {
            blocks = [0]
        } else {
            let from = start.map { index.block(containing: ExactKey(bytes: $0)) } ?? (ascending ? 0 : index.blocks.count - 1)
            blocks = ascending ? Array(from..<index.blocks.count) : Array((0...from).reversed())
            blocks = blocks.filter { index.blocks[$0].typeBits & matchingTypes != 0 || $0 == from }
        }
        var scanned = 0
        while scanned < blocks.count {
            let batch = Array(blocks[scanned..<min(blocks.count, scanned + batchSize(query, scanned: scanned))])
            scanned += batch.count
            let runs = try file.entries(of: version, blocks: batch.map { $0..<($0 + 1) })
            for run in runs {
                var i: Int
                if ascending {
                    i = start.map { run.firstIndex(notBefore: $0) } ?? 0
                    if let after = query.after, i < run.count, run.nameBytes(i).elementsEqual(after.utf8) { i += 1 }
                } else {
                    i = (start.map { run.firstIndex(notBefore: $0) } ?? run.count) - 1
                }
                while i >= 0 && i < run.count {
                    let name = run.nameBytes(i)
                    if !name.starts(with: prefix) {
                        // Names with the prefix are one stretch of the order: past it, the page ends.
                        if ascending ? prefix.lexicographicallyPrecedes(name) : !prefix.lexicographicallyPrecedes(name) {
                            return (entries, nil)
                        }
                    } else if query.type.map({ ImageType.canonical(run.items[i].type) == $0 }) ?? true {
                        if entries.count == query.limit { return (entries, last.map { ListCursor.encode(String(decoding: $0, as: UTF8.self)) }) }
                        entries.append(run.entry(i))
                        last = Array(name)
                    }
                    i += ascending ? 1 : -1
                }
            }
            if scanned >= maxBlocksPerPage && scanned < blocks.count {
                // A long stretch without enough matches: a short page, and where to go on.
                let edge = ascending ? runs.last!.nameBytes(runs.last!.count - 1) : runs.last!.nameBytes(0)
                return (entries, ListCursor.encode(String(decoding: entries.count == query.limit ? last! : Array(edge), as: UTF8.self)))
            }
        }
        return (entries, nil)
    }

    /// The first name after every name that starts with `prefix` (`nil`: none, the end).
    static func end(ofPrefix prefix: [UInt8]) -> [UInt8]? {
        var end = prefix
        while let last = end.last, last == 0xFF { end.removeLast() }
        guard !end.isEmpty else { return nil }
        end[end.count - 1] += 1
        return end
    }

    /// How many blocks to read next: enough for a page of unfiltered entries at once, more when a
    /// filter has made the first reads come short, within `maxBlocksPerPage`.
    private func batchSize(_ query: ListQuery, scanned: Int) -> Int {
        let perBlock = 300                               // ~176-byte entries in 64 KiB
        let wanted = max(1, (query.limit + perBlock) / perBlock + (query.type == nil ? 0 : 1))
        return max(1, min(maxBlocksPerPage - scanned, scanned == 0 ? wanted : 2 * wanted))
    }
}

/// The last catalog version read, kept between invocations of a warm function.
public final class CatalogReaderCache {
    public var version: CatalogVersion?

    public init(version: CatalogVersion? = nil) { self.version = version }
}
