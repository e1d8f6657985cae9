import Basics

/// SVG: XML text whose root element is `<svg>`. Skips a UTF-8 byte order mark, the XML
/// declaration, comments, processing instructions and a DOCTYPE (with its internal subset),
/// then reads the root's `width`, `height` and `viewBox`.
///
/// Size rules, as an `<img>` would get an intrinsic size: `width`/`height` in px, unitless, or an
/// absolute unit (pt, pc, mm, cm, Q, in, any case; converted at 96 px per inch) give the size;
/// when both are missing the `viewBox` does (unless a side is past the size cap: user units, a
/// map in metres, give no size then); when one is missing the viewBox's aspect ratio
/// gives it. A percentage or any other unit (em, ex, vw, rem…) means the size depends on the
/// page: the size is then unknown (`nil`),
/// the type still `svg`.
///
/// Every loop moves forward through the text (one step per byte looked at); a scan that runs
/// out of bytes asks for twice as many, so the rounds over a long prolog cost at most about
/// twice the bytes read. A size in pixels past `ImageSniffer.maxDimension` is refused like any
/// format's.
enum SVG {
    /// Whether the bytes start like markup: optional BOM and whitespace, then `<`. `nil` when
    /// the bytes end inside the leading whitespace.
    static func startsLikeMarkup(_ bytes: [UInt8]) -> Bool? {
        var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while i < bytes.count, isSpace(bytes[i]) { i += 1 }
        return i < bytes.count ? bytes[i] == UInt8(ascii: "<") : nil
    }

    static func parse(_ input: Input) throws(Stop) -> ImageInfo {
        var s = Scanner(input: input, pos: input.matches([0xEF, 0xBB, 0xBF]) ? 3 : 0)
        while true {
            try s.skipSpaces()
            if try s.consume("<?") {
                try s.skip(past: "?>", "XML declaration or processing instruction")
            } else if try s.consume("<!--") {
                try s.skip(past: "-->", "XML comment")
            } else if try s.consume("<!DOCTYPE") {
                try s.skipDoctype()
            } else if try s.consume("<") {
                let name = try s.name()
                let local = name.split(separator: ":").last.map(String.init) ?? name
                guard local == "svg" else {
                    throw .notImage("markup whose root element is <\(name)>, not <svg>")
                }
                let attributes = try s.attributes()
                return size(attributes)
            } else {
                throw .notImage("text, not an image")
            }
        }
    }

    static func size(_ attributes: [String: String]) -> ImageInfo {
        let width = attributes["width"].map(length) ?? .missing
        let height = attributes["height"].map(length) ?? .missing
        let box = attributes["viewBox"].flatMap(viewBox)
        var w: Double? = nil, h: Double? = nil
        switch (width, height) {
        case (.pixels(let a), .pixels(let b)):
            (w, h) = (a, b)
        case (.pixels(let a), .missing):
            if let box { (w, h) = (a, a * box.height / box.width) }
        case (.missing, .pixels(let b)):
            if let box { (w, h) = (b * box.width / box.height, b) }
        case (.missing, .missing):
            // The viewBox alone is in user units, which a map or a drawing may give in metres or
            // micrometres: a size past the limit is no size, not a refusal (the image is fine).
            if let box, box.width <= Double(ImageSniffer.maxDimension), box.height <= Double(ImageSniffer.maxDimension) {
                (w, h) = (box.width, box.height)
            }
        default:
            break  // a relative size: no intrinsic size
        }
        return ImageInfo(format: .svg, width: w.flatMap(pixels), height: h.flatMap(pixels))
    }

    enum Length: Equatable { case pixels(Double), relative, missing }

    /// What a read of the root's start tag is for: past it, the markup is known to be SVG.
    static let startTag = "<svg> start tag"

    /// Absolute units, in CSS pixels each.
    static let absoluteUnits: [String: Double] = ["": 1, "px": 1, "pt": 96.0 / 72, "pc": 16, "mm": 96 / 25.4,
                                                  "cm": 96 / 2.54, "q": 96 / 101.6, "in": 96]

    static func length(_ text: String) -> Length {
        let t = ASCII.trimmed(text)
        if t.hasSuffix("%") { return .relative }
        let unit = String(t.reversed().prefix { $0.isASCII && $0.isLetter }.reversed())
        // Any other unit (em, ex, vw, vmin, rem, auto…) measures against something else.
        guard let scale = absoluteUnits[ASCII.lowercased(unit)] else { return .relative }   // CSS units ignore case
        guard let v = Double(ASCII.trimmed(t.dropLast(unit.count))), v.isFinite, v > 0 else { return .missing }
        return .pixels(v * scale)
    }

    static func viewBox(_ text: String) -> (width: Double, height: Double)? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" || $0 == "\n" || $0 == "\r" })
        guard parts.count == 4, let w = Double(parts[2]), let h = Double(parts[3]),
              w.isFinite, h.isFinite, w > 0, h > 0 else { return nil }
        return (w, h)
    }

    /// Rounds to whole pixels. A size too large to convert is clamped (not trapped on), so the
    /// sniffer's size limit refuses it like any other side past `ImageSniffer.maxDimension`.
    static func pixels(_ v: Double) -> Int? {
        guard v.isFinite, v > 0 else { return nil }
        return v >= 1e15 ? 1_000_000_000_000_000 : max(1, Int(v.rounded()))
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    /// A cursor over the text that asks for more bytes when it runs out mid-structure.
    struct Scanner {
        let input: Input
        var pos: Int

        /// The byte at `pos + ahead`; throws `need` (or, at the known end of file, that the
        /// SVG ends early) when it has not been read.
        func peek(_ ahead: Int = 0, _ what: @autoclosure () -> String = "SVG text") throws(Stop) -> UInt8 {
            let i = pos + ahead
            input.progress.steps += 1
            if i < input.count { return input.bytes[i] }
            if input.isComplete {
                throw .need(end: i + 1, preferred: i + 1, offset: pos, what: what())
            }
            throw input.needScanChunk(what(), at: pos)
        }

        mutating func skipSpaces() throws(Stop) {
            while Self.isSpaceByte(try peek(0, "start of SVG markup")) { pos += 1 }
        }

        static func isSpaceByte(_ b: UInt8) -> Bool { SVG.isSpace(b) }

        mutating func consume(_ literal: String) throws(Stop) -> Bool {
            let bytes = Array(literal.utf8)
            for (i, b) in bytes.enumerated() where try peek(i, "start of SVG markup") != b { return false }
            pos += bytes.count
            return true
        }

        mutating func skip(past terminator: String, _ what: String) throws(Stop) {
            let t = Array(terminator.utf8)
            let start = pos
            while true {
                // Jump to the terminator's first byte (one step per byte passed).
                if pos < input.count, input.bytes[pos] != t[0] {
                    let next = input.bytes[pos...].firstIndex(of: t[0]) ?? input.count
                    input.progress.steps += next - pos
                    pos = next
                }
                if try peek(0, "\(what) at offset \(start)") == t[0] {
                    var all = true
                    for i in 1..<t.count where try peek(i, "\(what) at offset \(start)") != t[i] { all = false; break }
                    if all { pos += t.count; return }
                }
                pos += 1
            }
        }

        /// A DOCTYPE ends at the first `>` outside quotes and outside its `[...]` internal subset,
        /// where comments and processing instructions are skipped whole (an apostrophe in a
        /// comment is no quote: it swallowed the rest of the file).
        mutating func skipDoctype() throws(Stop) {
            let start = pos
            var quote: UInt8? = nil
            var depth = 0
            while true {
                if quote == nil, depth > 0 {
                    if try consume("<!--") { try skip(past: "-->", "comment in a DOCTYPE"); continue }
                    if try consume("<?") { try skip(past: "?>", "processing instruction in a DOCTYPE"); continue }
                }
                let b = try peek(0, "DOCTYPE at offset \(start)")
                pos += 1
                if let q = quote { if b == q { quote = nil }; continue }
                switch b {
                case UInt8(ascii: "\""), UInt8(ascii: "'"): quote = b
                case UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "]"): depth = max(0, depth - 1)
                case UInt8(ascii: ">") where depth == 0: return
                default: break
                }
            }
        }

        mutating func name() throws(Stop) -> String {
            let start = pos
            while true {
                let b = try peek(0, "SVG element name at offset \(start)")
                if Self.isSpaceByte(b) || b == UInt8(ascii: ">") || b == UInt8(ascii: "/") { break }
                pos += 1
            }
            return String(decoding: input.bytes[start..<pos], as: UTF8.self)
        }

        /// Attributes of the start tag, up to its `>`.
        mutating func attributes() throws(Stop) -> [String: String] {
            let tagStart = pos
            let what = SVG.startTag + " at offset \(tagStart)"
            var result: [String: String] = [:]
            while true {
                while Self.isSpaceByte(try peek(0, what)) { pos += 1 }
                let b = try peek(0, what)
                if b == UInt8(ascii: ">") || b == UInt8(ascii: "/") { return result }
                let nameStart = pos
                while true {
                    let c = try peek(0, what)
                    if c == UInt8(ascii: "=") || Self.isSpaceByte(c) || c == UInt8(ascii: ">") || c == UInt8(ascii: "/") { break }
                    pos += 1
                }
                let name = String(decoding: input.bytes[nameStart..<pos], as: UTF8.self)
                while Self.isSpaceByte(try peek(0, what)) { pos += 1 }
                guard try peek(0, what) == UInt8(ascii: "=") else {
                    if pos == nameStart { pos += 1 }  // stray byte: step over it, never stall
                    continue  // an attribute without a value (not XML, but seen in the wild)
                }
                pos += 1
                while Self.isSpaceByte(try peek(0, what)) { pos += 1 }
                let quote = try peek(0, what)
                guard quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
                    throw .malformed(offset: pos, "SVG attribute '\(name)' at offset \(nameStart) has an unquoted value")
                }
                pos += 1
                let valueStart = pos
                while try peek(0, what) != quote { pos += 1 }
                result[name] = String(decoding: input.bytes[valueStart..<pos], as: UTF8.self)
                pos += 1
            }
        }
    }
}
