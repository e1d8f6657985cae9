import Basics

/// A parser's view of the file: the bytes read so far, plus what is known of the rest.
/// All reads are bounds-checked and throw `Stop.need`, so no input can make a parser trap.
///
/// Arithmetic on numbers from the file stays far from `Int`'s range without overflow checks at
/// every `+`: a read gives at most 2^32 (`u32`), `u64` is refused by its callers at 2^62 or
/// more, offsets that walk on (`pos = end`) stop at the first one past the bytes present (at
/// most `limit + 2^62`), and sizes are checked against `ImageSniffer.maxDimension` before any
/// product. Counts that drive loops are bounded by the bytes they describe.
struct Input {
    let bytes: [UInt8]
    /// The whole file's size when known; never smaller than `bytes.count`.
    let fileSize: Int?
    /// Never ask for bytes past this offset.
    let limit: Int
    /// The format being parsed, for failure reports; `nil` while an ISO base media file's
    /// brands have not yet told HEIC from AVIF.
    var format: ImageFormat? = nil
    /// Resume points and the step count, shared with later rounds over the same file.
    let progress: ParseProgress

    /// The format's name for messages ("JPEG segment...").
    var name: String { format?.displayName ?? "ISO base media" }

    var count: Int { bytes.count }

    /// Whether the file is known to end exactly where the bytes read so far end.
    var isComplete: Bool { fileSize == bytes.count }

    /// Throws unless bytes `0..<end` are present.
    func require(_ end: Int, _ what: @autoclosure () -> String, at offset: Int) throws(Stop) {
        if end > bytes.count {
            throw .need(end: end, preferred: end, offset: offset, what: what())
        }
    }

    /// For scans of unknown length: at least one byte past what we have, preferably twice as
    /// much (at least 4 KiB more), so a long scan re-reads its start only a logarithmic number of times.
    func needScanChunk(_ what: @autoclosure () -> String, at offset: Int) -> Stop {
        .need(end: bytes.count + 1, preferred: bytes.count + max(4096, bytes.count), offset: offset, what: what())
    }

    func u8(_ o: Int) throws(Stop) -> UInt8 {
        guard o >= 0 else { throw .malformed(offset: o, "negative offset") }
        try require(o + 1, "\(name) header", at: o)
        return bytes[o]
    }

    func u16be(_ o: Int) throws(Stop) -> Int { Int(try u8(o)) << 8 | Int(try u8(o + 1)) }
    func u16le(_ o: Int) throws(Stop) -> Int { Int(try u8(o + 1)) << 8 | Int(try u8(o)) }
    func u24le(_ o: Int) throws(Stop) -> Int { Int(try u8(o + 2)) << 16 | (try u16le(o)) }
    func u32be(_ o: Int) throws(Stop) -> Int { (try u16be(o)) << 16 | (try u16be(o + 2)) }
    func u32le(_ o: Int) throws(Stop) -> Int { (try u16le(o + 2)) << 16 | (try u16le(o)) }
    func i32le(_ o: Int) throws(Stop) -> Int { Int(Int32(truncatingIfNeeded: try u32le(o))) }
    func u64be(_ o: Int) throws(Stop) -> UInt64 {
        UInt64(try u32be(o)) << 32 | UInt64(try u32be(o + 4))
    }

    /// Throws unless `width`×`height` are both within `ImageSniffer.maxDimension`: called before
    /// any arithmetic on a size, and on every answer.
    func checkSize(_ width: Int, _ height: Int, at offset: Int, _ what: @autoclosure () -> String) throws(Stop) {
        let cap = ImageSniffer.maxDimension
        guard width <= cap, height <= cap else {
            throw .malformed(offset: offset, "\(what()) gives size \(width)x\(height), past the \(cap)-pixel limit per side")
        }
    }

    /// Whether `signature` appears at `offset` (false when the bytes are not there yet).
    func matches(_ signature: [UInt8], at offset: Int = 0) -> Bool {
        guard offset >= 0, offset + signature.count <= bytes.count else { return false }
        for i in 0..<signature.count where bytes[offset + i] != signature[i] { return false }
        return true
    }

    /// The four bytes at `o` as text, for box and chunk types ("ftyp", "VP8X").
    func fourCC(_ o: Int) throws(Stop) -> String {
        try require(o + 4, "\(name) header", at: o)
        return fourCCText(bytes[o..<o + 4])
    }
}

/// Printable text for a four-character code; other bytes shown as `\xNN`, so messages stay clean.
func fourCCText(_ bytes: ArraySlice<UInt8>) -> String {
    var s = ""
    for b in bytes {
        if b >= 0x20 && b < 0x7F { s.unicodeScalars.append(Unicode.Scalar(b)) } else { s += "\\x" + hex(b) }
    }
    return s
}

/// A byte as a message quotes it: two lower-case digits.
func hex(_ b: UInt8) -> String { Hex.encode(b) }

/// Why a format parser stopped before reaching an answer. Parsers throw it so that each can be
/// written as a straight walk through its header; `ImageSniffer` turns it into a `SniffResult`.
enum Stop: Error {
    /// Bytes up to `end` are needed. `preferred` (≥ `end`) is what to ask for when the parser is
    /// scanning text of unknown length and one byte more would just mean another round trip.
    case need(end: Int, preferred: Int, offset: Int, what: String)
    case malformed(offset: Int, String)
    case notImage(String)
}
