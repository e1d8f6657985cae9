/// Magic numbers: which parser gets the bytes, or why none does. The decision uses content only.
enum Signature {
    /// How many bytes the text check looks at.
    static let textSample = 512

    static func detect(_ input: Input) throws(Stop) -> ImageFormat {
        let b = input
        if b.matches([0xFF, 0xD8, 0xFF]) { return .jpg }
        if b.matches([0x89, 0x50, 0x4E, 0x47]) { return .png }  // the parser checks the other 4 bytes
        if b.matches(Array("GIF8".utf8)) { return try unlessText(b, .gif) }
        if b.matches(Array("RIFF".utf8)) {
            if b.matches(Array("WEBP".utf8), at: 8) { return .webp }
            let kind = b.count >= 12 ? fourCCText(b.bytes[8..<12]) : "?"
            throw .notImage("a RIFF container of type '\(kind)', not WebP")
        }
        if b.matches(Array("BM".utf8)) { return try unlessText(b, .bmp) }
        if b.matches([0x49, 0x49, 0x2A, 0x00]) || b.matches([0x4D, 0x4D, 0x00, 0x2A])
            || b.matches([0x49, 0x49, 0x2B, 0x00]) || b.matches([0x4D, 0x4D, 0x00, 0x2B]) {
            return .tiff
        }
        if b.matches(Array("ftyp".utf8), at: 4) { return .heic }  // ISOBMFF decides heic/avif/neither
        if b.matches([0x00, 0x00, 0x01, 0x00]) { return .ico }
        if let other = knownOther(b) { throw .notImage(other) }
        switch SVG.startsLikeMarkup(b.bytes) {
        case true?: return .svg
        case nil where !b.isComplete && b.count < b.limit: throw b.needScanChunk("leading whitespace", at: 0)
        default: break
        }
        try refuseText(b)
        let head = b.bytes.prefix(8).map(hex).joined(separator: " ")
        throw .notImage("unrecognised signature \(head)")
    }

    /// `format`, whose signature is only printable letters ("GIF89a", "BM"), unless the file is
    /// text that happens to begin with them ("GIF89a is the 1989 revision…", "BMW X5"): an
    /// image's header holds binary bytes within its first few (sizes, flags, tables).
    private static func unlessText(_ b: Input, _ format: ImageFormat) throws(Stop) -> ImageFormat {
        try refuseText(b)
        return format
    }

    /// `.notImage` for text. Decided on the same sample whatever the prefix, so the answer never
    /// depends on it.
    private static func refuseText(_ b: Input) throws(Stop) {
        try b.require(min(textSample, b.fileSize ?? textSample, b.limit), "text sample", at: 0)
        if looksLikeText(b.bytes) { throw .notImage("text, not an image") }
    }

    /// Common non-image files, named so a log line says what was uploaded instead.
    private static func knownOther(_ b: Input) -> String? {
        let table: [([UInt8], Int, String)] = [
            (Array("%PDF-".utf8), 0, "a PDF document"),
            ([0x50, 0x4B, 0x03, 0x04], 0, "a ZIP archive (or a .docx/.xlsx/.jar)"),
            ([0x50, 0x4B, 0x05, 0x06], 0, "an empty ZIP archive"),
            ([0x1F, 0x8B], 0, "gzip-compressed data"),
            ([0x7F, 0x45, 0x4C, 0x46], 0, "an ELF executable"),
            (Array("%!PS".utf8), 0, "a PostScript document"),
            ([0xFF, 0x0A], 0, "a JPEG XL codestream (JPEG XL is not supported)"),
            ([0, 0, 0, 0x0C, 0x4A, 0x58, 0x4C, 0x20], 0, "a JPEG XL file (JPEG XL is not supported)"),
            ([0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20], 0, "a JPEG 2000 file (JPEG 2000 is not supported)"),
            (Array("8BPS".utf8), 0, "a Photoshop document (PSD is not supported)"),
            (Array("qoif".utf8), 0, "a QOI image (QOI is not supported)"),
            ([0x76, 0x2F, 0x31, 0x01], 0, "an OpenEXR image (EXR is not supported)"),
            ([0x00, 0x00, 0x02, 0x00], 0, "a Windows cursor (CUR), not an icon"),
            (Array("OggS".utf8), 0, "an Ogg media file"),
            (Array("ID3".utf8), 0, "an MP3 file"),
            ([0x1A, 0x45, 0xDF, 0xA3], 0, "a Matroska/WebM media file"),
            ([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C], 0, "a 7-Zip archive"),
            (Array("Rar!".utf8), 0, "a RAR archive"),
        ]
        for (magic, offset, name) in table where b.matches(magic, at: offset) { return name }
        return nil
    }

    /// Valid UTF-8 without control characters other than tab, CR and LF: a text file of some
    /// kind. A multi-byte sequence cut by the end of the sample is allowed.
    private static func looksLikeText(_ bytes: [UInt8]) -> Bool {
        var sample = bytes.prefix(textSample)
        var continuation = 0
        while continuation < 3, let last = sample.last, (0x80...0xBF).contains(last) { sample.removeLast(); continuation += 1 }
        if let last = sample.last, (0xC2...0xF4).contains(last) {
            sample.removeLast()  // the lead byte of the cut sequence
        } else {
            sample = bytes.prefix(textSample)  // nothing was cut: decode as is
        }
        var iterator = sample.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                let v = scalar.value
                if v == 0x09 || v == 0x0A || v == 0x0D || (v >= 0x20 && v != 0x7F) { continue }
                return false
            case .emptyInput:
                return !bytes.isEmpty
            case .error:
                return false
            }
        }
    }
}
