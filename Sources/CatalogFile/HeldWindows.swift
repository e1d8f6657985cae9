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
            let before = version.index.count(of: window.blocks.lowerBound..<range.lowerBound)
            answers[i] = (window.run, before..<(before + version.index.count(of: range)))
        }
        if !missing.isEmpty {
            let runs = try file.entries(of: version, blocks: missing.map { ranges[$0] })
            for (i, run) in zip(missing, runs) { answers[i] = (run, 0..<run.count) }
        }
        return answers.map { $0! }
    }

    /// What a rewrite of the blocks `chunk` merges into its writer, in order.
    enum Piece {
        /// Blocks the observations fall in, parsed: the run, and its items that are theirs.
        case run(EntryRun, items: Range<Int>, blocks: Range<Int>)
        /// A block no observation falls in, as it is (`CatalogFile.carried`).
        case block(Int, entries: ArraySlice<UInt8>)
    }

    /// `chunk`'s blocks for a rewrite: each stretch of blocks `touched` says the observations
    /// fall in, parsed; every other block carried as it is, not parsed again. Why: changes
    /// spread over a big catalog rewrite all of it, and parsing every entry was most of such a
    /// write's CPU (a 128 MB function has 7 % of a core). A chunk of a held window is parsed
    /// already. One read either way. `nil`: the version's index does not describe the bytes
    /// read (it is dropped: `CatalogFile.notDescribed`); `.changed`: the version was replaced.
    func pieces(of chunk: Range<Int>, touched: (Int) -> Bool) throws(CatalogFileError) -> [Piece]? {
        if held.contains(where: { $0.blocks.lowerBound <= chunk.lowerBound && chunk.upperBound <= $0.blocks.upperBound }) {
            let (run, items) = try runs(of: [chunk])[0]
            return [.run(run, items: items, blocks: chunk)]
        }
        let index = version.index, range = index.range(of: chunk), base = range.lowerBound
        let bytes = try file.readBytes(range, etag: version.etag ?? "")
        do throws(CatalogFileError) {
            guard bytes.count == Int(range.upperBound - base) else { throw file.notDescribed(version) }   // an index past the end
            func slice(_ blocks: Range<Int>) -> ArraySlice<UInt8> {
                let stretch = index.range(of: blocks)
                return bytes[Int(stretch.lowerBound - base)..<Int(stretch.upperBound - base)]
            }
            var pieces: [Piece] = []
            var block = chunk.lowerBound
            while block < chunk.upperBound {
                guard touched(block) else {
                    pieces.append(.block(block, entries: try file.carried(block: block, of: version, bytes: slice(block..<(block + 1)))))
                    block += 1
                    continue
                }
                var end = block + 1
                while end < chunk.upperBound && touched(end) { end += 1 }
                let run = try file.run(of: block..<end, in: version, bytes: Array(slice(block..<end)))
                pieces.append(.run(run, items: 0..<run.count, blocks: block..<end))
                block = end
            }
            return pieces
        } catch .changed {
            return nil
        }
    }
}
