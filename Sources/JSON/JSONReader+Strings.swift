extension JSONReader {
    /// Reads a string value (after whitespace), appending its decoded UTF-8 to `out`. For callers
    /// that keep many strings as bytes (the catalog's name index) rather than as `String`s.
    public mutating func readString(appendingTo out: inout [UInt8]) throws(JSONError) {
        let kind = try peekKind()
        guard kind == .string else { throw error("expected a string, found \(kind.description)") }
        try decodeStringLiteral(appendingTo: &out)
    }

    /// Like `nextObjectKey()`, but the key's UTF-8 replaces the contents of `key` (no `String`
    /// is made); `false` once the closing `}` has been consumed.
    public mutating func nextObjectKey(into key: inout [UInt8]) throws(JSONError) -> Bool {
        guard try advanceToKey() else { return false }
        key.removeAll(keepingCapacity: true)
        try decodeStringLiteral(appendingTo: &key)
        try consumeColon()
        return true
    }

    /// Reads the string literal whose opening quote is at `offset`.
    ///
    /// Strings without escapes (nearly all of them) become a `String` straight from the input
    /// bytes; only strings with escapes are decoded, into a reused buffer.
    mutating func readStringLiteral() throws(JSONError) -> String {
        let start = offset + 1
        var i = start
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                offset = i + 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            i = try nextInString(i)
        }
        var buffer: [UInt8] = []
        swap(&buffer, &scratch)  // reuse the buffer without holding `self` during the decode
        defer { swap(&buffer, &scratch) }
        buffer.removeAll(keepingCapacity: true)
        try decodeStringLiteral(appendingTo: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Decodes the string literal whose opening quote is at `offset`, appending its UTF-8 to
    /// `out` in runs (never byte by byte into a `String`).
    mutating func decodeStringLiteral(appendingTo out: inout [UInt8]) throws(JSONError) {
        let quote = offset
        var i = offset + 1
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                offset = i + 1
                return
            }
            if byte == UInt8(ascii: "\\") {
                let (scalar, next) = try decodeEscape(at: i)
                JSONReader.appendUTF8(scalar, to: &out)
                i = next
            } else {
                let runStart = i
                repeat {
                    i = try nextInString(i)
                } while i < bytes.count && bytes[i] != UInt8(ascii: "\"") && bytes[i] != UInt8(ascii: "\\")
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
            }
        }
        throw error("unterminated string", at: quote)
    }

    /// Validates the string literal whose opening quote is at `offset` and moves past it.
    mutating func skipStringLiteral() throws(JSONError) {
        let quote = offset
        var i = offset + 1
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                offset = i + 1
                return
            }
            if byte == UInt8(ascii: "\\") {
                i = try decodeEscape(at: i).next
            } else {
                i = try nextInString(i)
            }
        }
        throw error("unterminated string", at: quote)
    }

    /// Checks the unescaped character at `i` (not a quote or backslash) and returns the index
    /// after it: control characters must be escaped, and multi-byte sequences must be valid
    /// UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
    @inline(__always)
    private func nextInString(_ i: Int) throws(JSONError) -> Int {
        let byte = bytes[i]
        if byte >= 0x20 && byte < 0x80 { return i + 1 }
        if byte < 0x20 {
            throw error("control character U+00\(JSONReader.hex(byte)) must be escaped in a string", at: i)
        }
        return try validateUTF8Sequence(at: i)
    }

    private func validateUTF8Sequence(at i: Int) throws(JSONError) -> Int {
        let lead = bytes[i]
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF  // allowed range of the second byte
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw error("invalid UTF-8: unexpected byte 0x\(JSONReader.hex(lead))", at: i)
        }
        guard i + length <= bytes.count else {
            throw error("invalid UTF-8: truncated sequence starting with byte 0x\(JSONReader.hex(lead))", at: i)
        }
        let second = bytes[i + 1]
        guard second >= low && second <= high else {
            throw error("invalid UTF-8: byte 0x\(JSONReader.hex(second)) cannot follow 0x\(JSONReader.hex(lead))", at: i + 1)
        }
        var k = 2
        while k < length {
            guard bytes[i + k] & 0xC0 == 0x80 else {
                throw error("invalid UTF-8: byte 0x\(JSONReader.hex(bytes[i + k])) is not a continuation byte", at: i + k)
            }
            k += 1
        }
        return i + length
    }

    /// Decodes the escape whose backslash is at `i`: the scalar it stands for and the index after
    /// it. `\uXXXX` surrogates must come as a high-low pair; a lone one is an error.
    private func decodeEscape(at i: Int) throws(JSONError) -> (scalar: UInt32, next: Int) {
        guard i + 1 < bytes.count else { throw error("unterminated string", at: i) }
        switch bytes[i + 1] {
        case UInt8(ascii: "\""): return (0x22, i + 2)
        case UInt8(ascii: "\\"): return (0x5C, i + 2)
        case UInt8(ascii: "/"): return (0x2F, i + 2)
        case UInt8(ascii: "b"): return (0x08, i + 2)
        case UInt8(ascii: "f"): return (0x0C, i + 2)
        case UInt8(ascii: "n"): return (0x0A, i + 2)
        case UInt8(ascii: "r"): return (0x0D, i + 2)
        case UInt8(ascii: "t"): return (0x09, i + 2)
        case UInt8(ascii: "u"): break
        default:
            throw error("invalid escape '\\\(describeEscaped(at: i + 1))' in string", at: i)
        }
        let unit = try hex4(at: i + 2)
        switch unit {
        case 0xD800...0xDBFF:
            guard i + 7 < bytes.count, bytes[i + 6] == UInt8(ascii: "\\"), bytes[i + 7] == UInt8(ascii: "u") else {
                throw error("lone high surrogate \\u\(hexUnit(unit)) (must be followed by a \\u low surrogate)", at: i)
            }
            let low = try hex4(at: i + 8)
            guard (0xDC00...0xDFFF).contains(low) else {
                throw error("lone high surrogate \\u\(hexUnit(unit)) (followed by \\u\(hexUnit(low)), not a low surrogate)", at: i)
            }
            return (0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00), i + 12)
        case 0xDC00...0xDFFF:
            throw error("lone low surrogate \\u\(hexUnit(unit))", at: i)
        default:
            return (unit, i + 6)
        }
    }

    private func hex4(at start: Int) throws(JSONError) -> UInt32 {
        var value: UInt32 = 0
        for k in start..<(start + 4) {
            guard k < bytes.count else {
                throw error("invalid \\u escape: expected 4 hex digits, found end of input", at: k)
            }
            let byte = bytes[k]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default:
                throw error("invalid \\u escape: expected 4 hex digits, found \(describeByte(at: k))", at: k)
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    private func hexUnit(_ unit: UInt32) -> String {
        JSONReader.hex(UInt8(unit >> 8)) + JSONReader.hex(UInt8(unit & 0xFF))
    }

    private func describeEscaped(at k: Int) -> String {
        let byte = bytes[k]
        return byte >= 0x21 && byte < 0x7F ? String(Character(Unicode.Scalar(byte))) : "<0x\(JSONReader.hex(byte))>"
    }

    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
