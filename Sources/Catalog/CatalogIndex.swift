import Basics

/// Where the entries of a big catalog are, so that a reader or a writer needs only the part it
/// touches: the catalog's bytes cut into blocks of about `CatalogIndex.blockTarget` bytes, each
/// with the name of its first entry, its offset, its entry count and the types its entries have.
///
/// It describes exactly one version of the catalog, the one whose ETag it carries: it is stored
/// beside the catalog under that ETag (`<catalog>.index/<etag>`) and written by the writer that
/// produced those bytes, so a hand edit (a new ETag) simply has no index and is read whole.
///
/// The catalog it describes is in imagecat's form: sorted by name (UTF-8 bytes, S3's listing
/// order), one entry per line. Block 0 starts at offset 0 (its bytes include the `[`); every
/// other block starts at the first byte of an entry; the last ends at `size`.
public struct CatalogIndex: Equatable, Sendable {
    public struct Block: Equatable, Sendable {
        /// The name of the block's first entry.
        public var firstName: ExactKey
        public var offset: Int64
        public var count: Int
        /// Bit `i` set: an entry has type `types[i]`. Bit 63: a type not in `types` (too many
        /// distinct types to name them all).
        public var typeBits: UInt64

        public init(firstName: ExactKey, offset: Int64, count: Int, typeBits: UInt64) {
            self.firstName = firstName
            self.offset = offset
            self.count = count
            self.typeBits = typeBits
        }
    }

    /// The ETag of the catalog version described (bare).
    public var etag: String
    /// The ETags of the versions this one was written over, nearest first, at most
    /// `maxAncestors` (empty: the first, or unknown). A writer that must check its version was
    /// not lost to a concurrent one (a server whose conditional multipart completion is not
    /// atomic) looks for it among the current version's, with one read however many writes
    /// followed its own (the replaced versions' indexes are dropped).
    public var ancestors: [String]
    /// The version this one was written over.
    public var parent: String? { ancestors.first }

    public static let maxAncestors = 16
    /// The catalog's size in bytes.
    public var size: Int64
    public var blocks: [Block]
    /// The entry types named by the blocks' bits, at most 63.
    public var types: [String]
    /// The stretch at the catalog's start that every version naming the same prefix shares, byte
    /// for byte (`nil`: none named).
    public var prefix: Prefix?

    /// Bytes `0..<length` of the version, the same in every version whose index names `anchor`:
    /// a writer that copied them server-side from one such version may complete its upload over
    /// any other without copying them again (`CatalogFile.appended`). A writer names a new
    /// anchor (random) for the version it writes; a write that copies those bytes unchanged
    /// names the same one again. `length` is a block's offset: the rest, the tail, starts with
    /// an entry.
    public struct Prefix: Equatable, Sendable {
        public var anchor: String
        public var length: Int64
        /// The ETag of the same bytes saved as an object of their own beside the catalog
        /// (`CatalogFile.prefixKey`), once saved: a copy from there never depends on which
        /// version is current.
        public var base: String?

        public init(anchor: String, length: Int64, base: String? = nil) {
            self.anchor = anchor
            self.length = length
            self.base = base
        }

        /// Whether `other` names the same bytes (whether or not either knows where they are saved).
        public func isSame(as other: Prefix) -> Bool { anchor == other.anchor && length == other.length }
    }

    public static let otherTypes: UInt64 = 1 << 63

    public init(etag: String, size: Int64, blocks: [Block], types: [String], parent: String? = nil) {
        self.etag = etag
        self.ancestors = parent.map { [$0] } ?? []
        self.size = size
        self.blocks = blocks
        self.types = types
    }

    public var count: Int { count(of: blocks.indices) }

    /// Entries in blocks `r`.
    public func count(of r: Range<Int>) -> Int { blocks[r].reduce(0) { $0 + $1.count } }

    /// The ancestors of a version written over the one this index describes.
    public var ancestryOfNext: [String] { Array(([etag] + ancestors).prefix(Self.maxAncestors)) }

    /// The block that starts at `offset`, if one does.
    public func block(startingAt offset: Int64) -> Int? {
        var low = 0, high = blocks.count
        while low < high {
            let mid = (low + high) / 2
            if blocks[mid].offset < offset { low = mid + 1 } else { high = mid }
        }
        return low < blocks.count && blocks[low].offset == offset ? low : nil
    }

    /// Bytes of block `i`.
    public func range(of i: Int) -> Range<Int64> {
        blocks[i].offset..<(i + 1 < blocks.count ? blocks[i + 1].offset : size)
    }

    /// Bytes of blocks `r`.
    public func range(of r: Range<Int>) -> Range<Int64> {
        blocks[r.lowerBound].offset..<(r.upperBound < blocks.count ? blocks[r.upperBound].offset : size)
    }

    /// The block whose names include `name`: the last block whose first name is not after it
    /// (block 0 for a name before every entry).
    public func block(containing name: ExactKey) -> Int {
        var low = 0, high = blocks.count
        while low < high {
            let mid = (low + high) / 2
            if name < blocks[mid].firstName { high = mid } else { low = mid + 1 }
        }
        return max(0, low - 1)
    }

    /// The bits of `types` that a filter matching `accepts` must look at; `otherTypes` always.
    public func typeBits(where accepts: (String) -> Bool) -> UInt64 {
        var bits = Self.otherTypes
        for (i, type) in types.enumerated() where accepts(type) { bits |= 1 << UInt64(i) }
        return bits
    }

    /// How big blocks are made for a catalog of `size` bytes: `smallest` (64 KiB: a page or a
    /// lookup is one small ranged read), larger past 512 MiB so that the index stays under
    /// ~8,000 blocks.
    public static func blockTarget(forSize size: Int64, smallest: Int = 64 * 1024) -> Int {
        max(smallest, Int(size / 8192))
    }
}
