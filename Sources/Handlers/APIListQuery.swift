/// `GET /images` query parameters: `type`, `limit`, `cursor`. Validated before anything is read,
/// so a bad request costs no S3 call.
public struct APIListQuery: Equatable, Sendable {
    public static let defaultLimit = 100
    public static let maxLimit = 1000

    /// Lower-cased filter: a full content type (`image/png`) or a subtype (`png`, `jpeg`).
    public var type: String?
    public var limit: Int
    /// The last name of the previous page: this page starts after it.
    public var after: String?

    public init(type: String? = nil, limit: Int = defaultLimit, after: String? = nil) {
        self.type = type
        self.limit = limit
        self.after = after
    }

    /// Parses the query, or answers 400 saying which parameter is wrong. Other parameters are
    /// ignored (and do not change the ETag).
    public static func parse(_ query: [String: String]) -> APIStep<APIListQuery> {
        var result = APIListQuery()
        if let text = query["limit"] {
            guard let limit = Self.limit(text) else {
                return .answer(.error(400, "invalid_limit", "limit must be a whole number from 1 to \(maxLimit)"))
            }
            result.limit = limit
        }
        if let text = query["cursor"] {
            guard let name = APICursor.decode(text) else {
                return .answer(.error(400, "invalid_cursor", "cursor must be a nextCursor value from an earlier page"))
            }
            result.after = name
        }
        if let text = query["type"] {
            guard let type = Self.type(text) else {
                return .answer(.error(400, "invalid_type", "type must be a content type such as image/png, or png"))
            }
            result.type = type
        }
        return .proceed(result)
    }

    /// What shapes the page (for the ETag): the normalised values, not their spelling.
    public var variant: String {
        "images\ntype=\(type ?? "")\nlimit=\(limit)\nafter=" + (after.map { APICursor.encode($0) } ?? "")
    }

    /// Whether an entry's content type passes the filter. `png` matches `image/png`; `jpg`,
    /// `tif` and `svg` match what sniffers name `jpeg`, `tiff` and `svg+xml`.
    public func matches(type entryType: String) -> Bool {
        guard let type else { return true }
        var full = APIRequest.lowercased(entryType)
        if let semicolon = full.utf8.firstIndex(of: UInt8(ascii: ";")) { full = String(full[..<semicolon]) }
        while full.utf8.last == UInt8(ascii: " ") { full = String(full.dropLast()) }
        if type.utf8.contains(UInt8(ascii: "/")) { return full == type }
        guard let slash = full.utf8.firstIndex(of: UInt8(ascii: "/")) else { return false }
        let subtype = String(full[full.utf8.index(after: slash)...])
        let aliases = ["jpg": "jpeg", "tif": "tiff", "svg": "svg+xml"]
        return subtype == type || subtype == aliases[type]
    }

    /// Digits only (no sign, no spaces), 1...maxLimit.
    static func limit(_ text: String) -> Int? {
        guard (1...4).contains(text.utf8.count), text.utf8.allSatisfy({ (48...57).contains($0) }),
              let value = Int(text), (1...maxLimit).contains(value) else { return nil }
        return value
    }

    /// `[A-Za-z0-9.+-]` tokens, one optional `/`, at most 100 bytes; lower-cased.
    static func type(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        let token: (UInt8) -> Bool = {
            (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0)
                || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-")
        }
        let parts = bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard (1...100).contains(bytes.count), (1...2).contains(parts.count),
              parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(token) }) else { return nil }
        return APIRequest.lowercased(text)
    }
}

/// Page cursors: base64url (no padding) of `1:` + the last name served. Keyset paging on the
/// name order: a page is "the next `limit` names after this one", so a cursor stays meaningful
/// when the catalog changes between pages (nothing is skipped or repeated that existed
/// throughout). Opaque to clients; the `1:` leaves room for another format.
public enum APICursor {
    static let maxEncodedLength = 1400  // S3 keys are at most 1024 bytes
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    public static func encode(_ name: String) -> String {
        let bytes = Array(("1:" + name).utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            var chunk = UInt32(bytes[i]) << 16
            if n > 1 { chunk |= UInt32(bytes[i + 1]) << 8 }
            if n > 2 { chunk |= UInt32(bytes[i + 2]) }
            for k in 0...n { out.append(alphabet[Int((chunk >> UInt32(18 - 6 * k)) & 0x3F)]) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The name inside a cursor, or `nil` for anything `encode` cannot have produced.
    public static func decode(_ text: String) -> String? {
        let chars = Array(text.utf8)
        guard (4...maxEncodedLength).contains(chars.count), chars.count % 4 != 1 else { return nil }
        var values: [UInt32] = []
        values.reserveCapacity(chars.count)
        for c in chars {
            guard let v = alphabet.firstIndex(of: c) else { return nil }
            values.append(UInt32(v))
        }
        var bytes: [UInt8] = []
        var i = 0
        while i < values.count {
            let n = min(4, values.count - i)
            var chunk: UInt32 = 0
            for k in 0..<4 { chunk = chunk << 6 | (k < n ? values[i + k] : 0) }
            for k in 0..<(n - 1) { bytes.append(UInt8((chunk >> UInt32(16 - 8 * k)) & 0xFF)) }
            i += 4
        }
        guard encode(String(decoding: bytes.dropFirst(2), as: UTF8.self)) == text,  // canonical only
              bytes.starts(with: Array("1:".utf8)), bytes.count > 2,
              let name = String(validating: bytes.dropFirst(2), as: UTF8.self) else { return nil }
        return name
    }
}
