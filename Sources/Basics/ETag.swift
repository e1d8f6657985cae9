/// Entity tags as S3 and HTTP write them: `"abc"`, or weak `W/"abc"`.
public enum ETag {
    /// The opaque part, without `W/` and quotes: how the catalog stores an object's ETag and how
    /// it is compared (S3 ETags are strong; a weak marker from a proxy must not make them differ).
    public static func unquoted(_ etag: some StringProtocol) -> String {
        var text = Substring(etag)
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        if text.utf8.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { text = text.dropFirst().dropLast() }
        return String(text)
    }
}
