import Basics

/// A parsed `If-None-Match` header: `*` or a list of entity tags, weak or strong.
public struct IfNoneMatch: Equatable, Sendable {
    public var any: Bool
    /// Opaque tags with their quotes, `W/` removed (If-None-Match compares weakly).
    public var tags: [String]

    /// `nil` when the header is absent or holds no entity tag.
    public init?(_ header: String?) {
        guard let header else { return nil }
        any = false
        tags = []
        for part in header.utf8.split(separator: UInt8(ascii: ",")) {
            var text = Substring(ASCII.trimmed(String(decoding: part, as: UTF8.self)))
            if text == "*" {
                any = true
            } else {
                if text.hasPrefix("W/") { text = text.dropFirst(2) }
                if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { tags.append(String(text)) }
            }
        }
        if !any && tags.isEmpty { return nil }
    }

    /// Whether a response with `etag` would be the client's copy (so 304 is the answer).
    public func matches(_ etag: String) -> Bool { any || tags.contains(etag) }

    /// The S3 ETag inside one of the client's tags made for `variant`: what to ask S3 with
    /// (`If-None-Match`) when nothing is cached. Only plain hex, so nothing the client sent
    /// reaches a header unchecked.
    public func storeETag(forVariant variant: String) -> String? {
        let prefix = "\"" + StableHash.hex(Array((ResponseETag.formatVersion + "\n" + variant).utf8)) + "."
        for tag in tags where tag.hasPrefix(prefix) {
            let version = String(tag.dropFirst(prefix.count).dropLast())
            if ResponseETag.isPlainS3ETag(version) { return version }
        }
        return nil
    }
}
