import Basics
import Catalog
import CatalogFile

/// Reads a catalog's entries in name order a bounded stretch at a time (at most the file's
/// `chunkBytes` of blocks per read), keeping the last stretch read so that consecutive calls do
/// not read it twice: the reconcile's memory stays bounded however many entries lie between two
/// listed keys (a bucket that lost half its objects).
struct EntryCursor {
    private var last: (blocks: Range<Int>, run: EntryRun)?

    /// Entries whose names are after `lower` (all, if `nil`) and not after `upper` (to the end, if
    /// `nil`), from one bounded stretch, by name and position in `run` (`run.entry(i)` parses one
    /// when needed: a stretch of 8 MiB holds ~45,000 entries, and parsed all at once they would
    /// take several times its bytes); `more` when entries in that span remain: call again with
    /// `lower` set to the last name returned.
    mutating func entries(after lower: ExactKey?, through upper: ExactKey?, of version: CatalogVersion,
                          in file: CatalogFile) throws(CatalogFileError) -> (run: EntryRun, entries: [(name: ExactKey, index: Int)], more: Bool) {
        let index = version.index
        guard !index.blocks.isEmpty || version.whole != nil else { return (EntryRun(), [], false) }
        var run: EntryRun
        var more = false
        if let whole = version.whole {
            run = whole
        } else {
            var start = lower.map { index.block(containing: $0) } ?? 0
            let end = upper.map { index.block(containing: $0) + 1 } ?? index.blocks.count
            if let last, last.blocks.contains(start), Self.hasAfter(lower, in: last.run) {
                run = last.run
                more = last.blocks.upperBound < end
            } else {
                if let last, last.blocks.contains(start) { start = last.blocks.upperBound }   // read to its end
                guard start < end else { return (EntryRun(), [], false) }
                var stop = start + 1
                while stop < end && SplicePlan.length(index.range(of: start..<(stop + 1))) <= Int64(file.chunkBytes) { stop += 1 }
                run = try file.entries(of: version, blocks: [start..<stop])[0]
                last = (start..<stop, run)
                more = stop < end
            }
        }
        var entries: [(name: ExactKey, index: Int)] = []
        var i = lower.map { run.firstIndex(notBefore: $0.bytes) } ?? 0
        if let lower, i < run.count, run.nameBytes(i).elementsEqual(lower.bytes) { i += 1 }
        while i < run.count {
            let name = ExactKey(bytes: Array(run.nameBytes(i)))
            if let upper, upper < name { return (run, entries, false) }
            entries.append((name, i))
            i += 1
        }
        return (run, entries, more)
    }

    /// Whether `run` holds an entry after `lower`: else the next stretch is read.
    private static func hasAfter(_ lower: ExactKey?, in run: EntryRun) -> Bool {
        guard let lower else { return run.count > 0 }
        var i = run.firstIndex(notBefore: lower.bytes)
        if i < run.count, run.nameBytes(i).elementsEqual(lower.bytes) { i += 1 }
        return i < run.count
    }
}
