import Basics

/// The canonical-request pieces of SigV4 (path, query, headers). Each rule here is one that the
/// AWS test suite checks byte for byte: header values trimmed with inner whitespace runs folded,
/// duplicate headers joined with commas, query pairs sorted by encoded name then value.
package enum SigV4Canonical {
    /// Byte-wise ordering, which is what SigV4 sorts by (not Unicode collation).
    package static func utf8Less(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// RFC 3986 dot-segment removal plus collapsing of empty segments, as the generic SigV4 suite
    /// expects when normalisation is on. S3 never calls this.
    package static func normalizedPath(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." { _ = segments.popLast(); continue }
            segments.append(segment)
        }
        var result = "/" + segments.joined(separator: "/")
        if path.hasSuffix("/") && !segments.isEmpty { result += "/" }
        return result
    }

    /// `name=value` pairs, both encoded, sorted, joined with `&`.
    package static func query(_ items: [(name: String, value: String)]) -> String {
        items.map { (URIEncoding.encodeQueryComponent($0.name), URIEncoding.encodeQueryComponent($0.value)) }
            .sorted { $0.0 == $1.0 ? utf8Less($0.1, $1.1) : utf8Less($0.0, $1.0) }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// Canonical header block (each line ends with `\n`) and the `;`-joined signed header names.
    package static func headers(_ headers: [(name: String, value: String)]) -> (block: String, signed: String) {
        var names: [String] = []
        var values: [String: [String]] = [:]
        for header in headers {
            let name = header.name.lowercased()
            if values[name] == nil { names.append(name) }
            values[name, default: []].append(foldWhitespace(header.value))
        }
        names.sort(by: utf8Less)
        var block = ""
        for name in names {
            block += name + ":" + values[name]!.joined(separator: ",") + "\n"
        }
        return (block, names.joined(separator: ";"))
    }

    /// Trims the value and folds every run of spaces, tabs and line breaks into one space
    /// (multi-line header values become one line).
    package static func foldWhitespace(_ value: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        var pendingSpace = false
        for byte in value.utf8 {
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(0x20); pendingSpace = false }
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
