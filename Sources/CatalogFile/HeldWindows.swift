import Catalog

/// Blocks of one version already read, for a write to take from rather than read again: the
/// windows it rewrites, read once while it learns what changes (`CatalogFile.prefetched`). Any
/// other blocks are read when asked for.
struct HeldWindows {
    let version: CatalogVersion
    let file: CatalogFile
    private let held: [(blocks: Range<Int>, run: EntryRun)]
    /// The multipart upload created with the reads (`startingUpload`), for the write to use or
    /// abort.
    let uploadID: String?

    init(_ windows: [Range<Int>], of version: CatalogVersion, in file: CatalogFile,
         startingUpload: Bool = false) throws(CatalogFileError) {
        self.version = version
        self.file = file
        if windows.isEmpty {
            (held, uploadID) = ([], nil)
        } else if startingUpload {
            let (runs, id) = try file.entriesStartingUpload(of: version, blocks: windows)
            (held, uploadID) = (Array(zip(windows, runs)), id)
        } else {
            (held, uploadID) = (Array(zip(windows, try file.entries(of: version, blocks: windows))), nil)
        }
    }

    /// Each range's run, with the items of it that are the range's own entries: taken from a
    /// held window that contains the range, else read (all the missing ones at once).
    func runs(of ranges: [Range<Int>]) throws(CatalogFileError) -> [(run: EntryRun, items: Range<Int>)] {
        var answers = [(run: EntryRun, items: Range<Int>)?](repeating: nil, count: ranges.count)
        var missing: [Int] = []
        for (i, range) in ranges.enumerated() {
            guard let window = held.first(where: { $0.blocks.lowerBound <= range.lowerBound && range.upperBound <= $0.blocks.upperBound }) else {
                missing.append(i)
                continue
            }
            let before = Self.entries(in: window.blocks.lowerBound..<range.lowerBound, of: version.index)
            answers[i] = (window.run, before..<(before + Self.entries(in: range, of: version.index)))
        }
        if !missing.isEmpty {
            let runs = try file.entries(of: version, blocks: missing.map { ranges[$0] })
            for (i, run) in zip(missing, runs) { answers[i] = (run, 0..<run.count) }
        }
        return answers.map { $0! }
    }

    private static func entries(in blocks: Range<Int>, of index: CatalogIndex) -> Int {
        index.blocks[blocks].reduce(0) { $0 + $1.count }
    }
}
