/// Just enough XML for S3's answers (error bodies and ListObjectsV2 pages): find elements by name
/// and decode their text. S3's XML is flat, attribute-free below the root and machine-written, so
/// a full parser (and its dependency) would buy nothing here.
enum XMLExtractor {
    /// The raw inner text of every `<name>...</name>` in `xml`, in document order. `<name/>` gives
    /// an empty string; attributes on the start tag are skipped. Same-named nesting is not handled
    /// (S3 never nests an element in itself).
    static func elements(_ name: String, in xml: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        let open = Array("<\(name)".utf8)
        let close = Array("</\(name)>".utf8)
        var results: [ArraySlice<UInt8>] = []
        var index = xml.startIndex
        while let start = find(open, in: xml[index...]) {
            let afterName = start + open.count
            guard afterName < xml.endIndex else { break }
            let next = xml[afterName]
            // `<Key` must not match `<KeyCount`: the name has to end at `>`, `/` or whitespace.
            guard next == UInt8(ascii: ">") || next == UInt8(ascii: "/") || next == 0x20 || next == 0x09
                    || next == 0x0A || next == 0x0D else {
                index = afterName
                continue
            }
            guard let tagEnd = xml[afterName...].firstIndex(of: UInt8(ascii: ">")) else { break }
            if xml[tagEnd - 1] == UInt8(ascii: "/") {
                results.append(xml[tagEnd..<tagEnd])
                index = tagEnd + 1
                continue
            }
            guard let end = find(close, in: xml[(tagEnd + 1)...]) else { break }
            results.append(xml[(tagEnd + 1)..<end])
            index = end + close.count
        }
        return results
    }

    /// The decoded text of the first `<name>` element, or `nil` when there is none.
    static func firstText(_ name: String, in xml: ArraySlice<UInt8>) -> String? {
        elements(name, in: xml).first.map(decodeText)
    }

    /// Decodes the five predefined entities, numeric character references and CDATA sections.
    /// `text` as XML character data (for the few request bodies the client writes).
    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(character)
            }
        }
        return out
    }

    static func decodeText(_ raw: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = raw.startIndex
        let cdataOpen = Array("<![CDATA[".utf8), cdataClose = Array("]]>".utf8)
        while i < raw.endIndex {
            let byte = raw[i]
            if byte == UInt8(ascii: "<"), raw[i...].starts(with: cdataOpen),
               let end = find(cdataClose, in: raw[(i + cdataOpen.count)...]) {
                out.append(contentsOf: raw[(i + cdataOpen.count)..<end])
                i = end + cdataClose.count
                continue
            }
            if byte == UInt8(ascii: "&"), let semi = raw[i...].prefix(12).firstIndex(of: UInt8(ascii: ";")),
               let decoded = entity(String(decoding: raw[(i + 1)..<semi], as: UTF8.self)) {
                out.append(contentsOf: decoded)
                i = semi + 1
                continue
            }
            out.append(byte)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func entity(_ name: String) -> [UInt8]? {
        switch name {
        case "amp": return Array("&".utf8)
        case "lt": return Array("<".utf8)
        case "gt": return Array(">".utf8)
        case "quot": return Array("\"".utf8)
        case "apos": return Array("'".utf8)
        default:
            guard name.hasPrefix("#") else { return nil }
            let digits = name.dropFirst()
            let value = digits.hasPrefix("x") || digits.hasPrefix("X")
                ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
            guard let value, let scalar = Unicode.Scalar(value) else { return nil }
            return Array(String(Character(scalar)).utf8)
        }
    }

    private static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard let first = needle.first, needle.count <= haystack.count else { return nil }
        var i = haystack.startIndex
        let last = haystack.endIndex - needle.count
        while i <= last {
            if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
