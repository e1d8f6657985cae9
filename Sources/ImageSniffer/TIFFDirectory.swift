/// Reads the first image file directory (IFD0) of a TIFF structure: a TIFF file, or the EXIF
/// block inside a JPEG's APP1 segment (which is a TIFF structure too). Offsets inside a TIFF are
/// relative to its header, which is why the reader carries `base`.
///
/// Only IFD0 is read: no chain of `next IFD` offsets (which a hostile file can make cyclic) and
/// no sub-IFDs are followed. Its entry count is capped at 65,535 and must fit in the bytes (and,
/// for EXIF, in its segment); sizes are checked against `ImageSniffer.maxDimension` by the
/// sniffer before they are answered.
struct TIFFDirectory {
    struct Entry {
        let tag: Int
        let type: Int
        let count: Int
        /// Absolute offset of the entry's value field (inline values live there).
        let valueAt: Int
    }

    let littleEndian: Bool
    let bigTIFF: Bool
    let entries: [Entry]
    private let input: Input

    /// Parses the header at `base` and IFD0. `end` bounds the structure (an APP1 segment's end),
    /// `nil` for a whole TIFF file.
    init(_ input: Input, base: Int, end: Int?) throws(Stop) {
        try input.require(base + 8, "TIFF header at offset \(base)", at: base)
        let b = input.bytes
        let little: Bool
        if b[base] == 0x49 && b[base + 1] == 0x49 { little = true }
        else if b[base] == 0x4D && b[base + 1] == 0x4D { little = false }
        else { throw .malformed(offset: base, "TIFF header at offset \(base) has no II/MM byte order mark") }
        func u16(_ o: Int) throws(Stop) -> Int { try (little ? input.u16le(o) : input.u16be(o)) }
        func u32(_ o: Int) throws(Stop) -> Int { try (little ? input.u32le(o) : input.u32be(o)) }
        func u64(_ o: Int) throws(Stop) -> Int {
            let lo = try u32(little ? o : o + 4), hi = try u32(little ? o + 4 : o)
            guard hi < 1 << 30 else { throw .malformed(offset: o, "TIFF offset at \(o) is larger than 2^62") }
            return hi << 32 | lo
        }

        let version = try u16(base + 2)
        let big: Bool
        switch version {
        case 42: big = false
        case 43: big = true
        default: throw .malformed(offset: base, "TIFF header at offset \(base) has version \(version), not 42 or 43")
        }
        let ifd: Int
        if big {
            try input.require(base + 16, "BigTIFF header at offset \(base)", at: base)
            ifd = try u64(base + 8)
        } else {
            ifd = try u32(base + 4)
        }
        let headerSize = big ? 16 : 8
        guard ifd >= headerSize else {
            throw .malformed(offset: base + 4, "TIFF IFD0 offset \(ifd) points into the header")
        }
        let at = base + ifd
        if let end, at + 2 > end {
            throw .malformed(offset: base + 4, "TIFF IFD0 offset \(ifd) points past the end of its block")
        }

        let countSize = big ? 8 : 2, entrySize = big ? 20 : 12
        try input.require(at + countSize, "TIFF IFD0 at offset \(at)", at: at)
        let count = try (big ? u64(at) : u16(at))
        guard count <= 0xFFFF else {
            throw .malformed(offset: at, "TIFF IFD0 at offset \(at) claims \(count) entries")
        }
        let entriesEnd = at + countSize + count * entrySize
        if let end, entriesEnd > end {
            throw .malformed(offset: at, "TIFF IFD0 at offset \(at) with \(count) entries runs past the end of its block")
        }
        try input.require(entriesEnd, "TIFF IFD0 at offset \(at) with \(count) entries", at: at)

        var list: [Entry] = []
        list.reserveCapacity(count)
        input.progress.steps += count
        for i in 0..<count {
            let e = at + countSize + i * entrySize
            let n = try (big ? u64(e + 4) : u32(e + 4))
            list.append(Entry(tag: try u16(e), type: try u16(e + 2), count: n, valueAt: e + (big ? 12 : 8)))
        }
        self.input = input
        self.littleEndian = little
        self.bigTIFF = big
        self.entries = list
    }

    /// The single integer value of `tag` when stored inline as SHORT, LONG or LONG8; `nil` when
    /// absent or of another shape.
    func integer(_ tag: Int) throws(Stop) -> Int? {
        guard let e = entries.first(where: { $0.tag == tag }), e.count == 1 else { return nil }
        switch (e.type, littleEndian) {
        case (3, true): return try input.u16le(e.valueAt)   // SHORT
        case (3, false): return try input.u16be(e.valueAt)
        case (4, true): return try input.u32le(e.valueAt)   // LONG
        case (4, false): return try input.u32be(e.valueAt)
        case (16, _) where bigTIFF:                         // LONG8
            let lo = try (littleEndian ? input.u32le(e.valueAt) : input.u32be(e.valueAt + 4))
            let hi = try (littleEndian ? input.u32le(e.valueAt + 4) : input.u32be(e.valueAt))
            return hi == 0 ? lo : nil
        default: return nil
        }
    }

    /// Tag 0x0112 as an `Orientation`; out-of-range values count as absent, as viewers treat them.
    func orientation() throws(Stop) -> Orientation {
        (try integer(0x0112)).flatMap(Orientation.init(rawValue:)) ?? .normal
    }
}
