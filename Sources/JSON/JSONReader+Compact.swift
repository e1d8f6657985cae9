extension JSONReader {
    /// Appends `json` without its insignificant whitespace. `json` must already be valid JSON
    /// (e.g. a range the reader accepted): this only tracks whether it is inside a string.
    ///
    /// The catalog uses it to keep a hand-edited, pretty-printed entry as one line of its output
    /// while leaving every other byte (escapes, number literals, member order) as it was.
    public static func appendCompacted(_ json: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var inString = false
        var escaped = false
        for byte in json {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                out.append(byte)
                continue
            }
            switch byte {
            case 0x20, 0x0A, 0x0D, 0x09: continue
            case UInt8(ascii: "\""): inString = true
            default: break
            }
            out.append(byte)
        }
    }
}
