import Basics

/// Writes entries in imagecat's form (see `EntryRun`) for one stretch of a new catalog, and cuts
/// them into index blocks as it goes. The separator before an entry is written with that entry,
/// so the bytes always end with a whole entry until `finish` says what follows: `,\n` (more of
/// the file, copied from the old one) or `\n]\n` (the end of the file).
///
/// A long stretch is written and uploaded in parts: `drain` hands out the bytes written so far
/// while block offsets keep counting from the stretch's start.
public struct RunWriter {
    public private(set) var bytes: [UInt8] = []
    /// Blocks, with offsets from the start of the stretch.
    public private(set) var blocks: [CatalogIndex.Block] = []
    public private(set) var count = 0
    public let atFileStart: Bool
    public let blockTarget: Int
    public let types: TypeTable
    /// Bytes handed out by `drain`.
    public private(set) var drained: Int64 = 0
    private var blockStart: Int64 = 0

    public init(atFileStart: Bool, blockTarget: Int, types: TypeTable) {
        self.atFileStart = atFileStart
        self.blockTarget = blockTarget
        self.types = types
    }

    /// Bytes written so far, drained or not.
    public var written: Int64 { drained + Int64(bytes.count) }

    /// Appends one entry's compact JSON.
    public mutating func append(_ entry: some Collection<UInt8>, name: some Collection<UInt8>, type: String) {
        if count == 0 {
            if atFileStart { bytes.append(contentsOf: "[\n".utf8) }
        } else {
            bytes.append(contentsOf: ",\n".utf8)
        }
        let start = written
        if blocks.isEmpty || start - blockStart >= Int64(blockTarget) {
            blockStart = blocks.isEmpty && atFileStart ? 0 : start
            blocks.append(CatalogIndex.Block(firstName: ExactKey(bytes: Array(name)), offset: blockStart, count: 0, typeBits: 0))
        }
        bytes.append(contentsOf: entry)
        blocks[blocks.count - 1].count += 1
        blocks[blocks.count - 1].typeBits |= types.bit(for: type)
        count += 1
    }

    /// Appends a block of the old version as it is (`entries`: its entries' compact JSON and the
    /// `,\n` between them, without the file's framing), `block` saying what it holds (the old
    /// index's, with bits of the same `types`). It starts a block of its own: its entries are not
    /// parsed again, so the new index takes the old one's word for them, as for copied bytes.
    public mutating func appendBlock(_ entries: some Collection<UInt8>, as block: CatalogIndex.Block) {
        if count == 0 {
            if atFileStart { bytes.append(contentsOf: "[\n".utf8) }
        } else {
            bytes.append(contentsOf: ",\n".utf8)
        }
        blockStart = blocks.isEmpty && atFileStart ? 0 : written
        var moved = block
        moved.offset = blockStart
        blocks.append(moved)
        bytes.append(contentsOf: entries)
        count += block.count
    }

    /// What follows the stretch. `false` when it cannot be framed: no entry before more of the
    /// file (a part may not be empty) or before the end of a file that has entries elsewhere.
    public mutating func finish(atFileEnd: Bool) -> Bool {
        if count == 0 {
            guard atFileStart && atFileEnd else { return false }
            bytes.append(contentsOf: "[]\n".utf8)     // the whole catalog is empty
            return true
        }
        bytes.append(contentsOf: (atFileEnd ? "\n]\n" : ",\n").utf8)
        return true
    }

    /// Hands out the first `n` bytes written (all, by default) and forgets them.
    public mutating func drain(_ n: Int? = nil) -> [UInt8] {
        let n = min(n ?? bytes.count, bytes.count)
        let out = Array(bytes[..<n])
        bytes.removeFirst(n)
        drained += Int64(n)
        return out
    }
}

/// The distinct entry types of a new index, each a bit of `CatalogIndex.Block.typeBits`; shared
/// by every stretch written, and starting from the old index's types so that copied blocks keep
/// their bits.
public final class TypeTable {
    public private(set) var names: [String]
    private var bits: [String: UInt64] = [:]

    public init(_ names: [String] = []) {
        self.names = []
        for name in names.prefix(63) { _ = bit(for: name) }
    }

    public func bit(for type: String) -> UInt64 {
        if let bit = bits[type] { return bit }
        guard names.count < 63 else { return CatalogIndex.otherTypes }
        let bit: UInt64 = 1 << UInt64(names.count)
        names.append(type)
        bits[type] = bit
        return bit
    }
}
