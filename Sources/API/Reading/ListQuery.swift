import Basics

/// `GET /images` query parameters: `type`, `prefix`, `order`, `limit`, `cursor`. Validated
/// before anything is read, so a bad request costs no S3 call.
///
/// Orders: `name` (the default: UTF-8 byte order of names, S3's listing order) and `name-desc`
/// (the reverse). Uploads made through `POST /uploads` have keys that begin with a time-ordered
/// id, so under the upload prefix `name-desc` is newest first. Paging is by keyset: a cursor is
/// the last name served, and the next page starts after it (before it, in `name-desc`), so pages
/// stay consistent while the catalog changes: nothing that existed throughout is skipped or
/// served twice.
public struct ListQuery: Equatable, Sendable {
    public static let defaultLimit = 100
    public static let maxLimit = 1000
    public static let maxPrefixBytes = 1024

    public enum Order: String, Sendable {
        case name
        case nameDescending = "name-desc"
    }

    /// The filter's canonical type name (`png`, `jpg`, …: see `ImageType`), whatever spelling
    /// the client used (`image/png`, `PNG`, `jpeg`).
    public var type: String?
    public var limit: Int
    /// The last name of the previous page: this page starts after it (before it, descending).
    public var after: String?
    /// Only names that start with this (byte for byte).
    public var prefix: String
    public var order: Order

    public init(type: String? = nil, limit: Int = defaultLimit, after: String? = nil, prefix: String = "", order: Order = .name) {
        self.type = type.map(ImageType.canonical)
        self.limit = limit
        self.after = after
        self.prefix = prefix
        self.order = order
    }

    /// Parses the query, or answers 400 saying which parameter is wrong. Other parameters are
    /// ignored (and do not change the ETag).
    public static func parse(_ query: [String: String]) throws(APIError) -> ListQuery {
        var result = ListQuery()
        if let text = query["limit"] {
            guard let limit = Self.limit(text) else {
                throw APIError(400, "invalid_limit", "limit must be a whole number from 1 to \(maxLimit)")
            }
            result.limit = limit
        }
        if let text = query["cursor"] {
            guard let name = ListCursor.decode(text) else {
                throw APIError(400, "invalid_cursor", "cursor must be a nextCursor value from an earlier page")
            }
            result.after = name
        }
        if let text = query["type"] {
            guard let type = Self.type(text) else {
                throw APIError(400, "invalid_type", "type must be a content type such as image/png, or png")
            }
            result.type = ImageType.canonical(type)
        }
        if let text = query["prefix"] {
            guard text.utf8.count <= maxPrefixBytes else {
                throw APIError(400, "invalid_prefix", "prefix must be at most \(maxPrefixBytes) bytes")
            }
            result.prefix = text
        }
        if let text = query["order"] {
            guard let order = Order(rawValue: text) else {
                throw APIError(400, "invalid_order", "order must be name or name-desc")
            }
            result.order = order
        }
        return result
    }

    /// What shapes the page (for the ETag): the normalised values, not their spelling.
    public var variant: String {
        "images\ntype=\(type ?? "")\nlimit=\(limit)\nprefix=\(prefix)\norder=\(order.rawValue)\nafter="
            + (after.map { ListCursor.encode($0) } ?? "")
    }

    /// Whether an entry's `type` passes the filter: imagecat's own names (`png`) and content
    /// types a hand edit may hold (`image/png`) are the same type.
    public func matches(type entryType: String) -> Bool {
        guard let type else { return true }
        return ImageType.canonical(entryType) == type
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
        return ASCII.lowercased(text)
    }
}

