/// Which version of an object this is: its ETag and its Last-Modified time. The time matters as
/// much as the ETag: the same bytes uploaded again keep their ETag but not their Last-Modified,
/// which catalog entries record.
public struct ObjectVersion: Equatable, Sendable {
    /// Without quotes.
    public var etag: String
    /// ISO 8601 to the second (`2026-11-25T16:00:09Z`), as entries store it; `nil` if unknown.
    public var lastModified: String?

    public init(etag: String, lastModified: String?) {
        self.etag = etag
        self.lastModified = lastModified
    }

    /// `2026-11-25T16:00:09.000Z` (a listing's form) as `2026-11-25T16:00:09Z` (a header's).
    public static func seconds(_ iso8601: String) -> String {
        guard let dot = iso8601.firstIndex(of: "."), iso8601.hasSuffix("Z") else { return iso8601 }
        return String(iso8601[..<dot]) + "Z"
    }

    /// Whether `other` is the same version. An unknown Last-Modified on either side leaves the
    /// ETag alone to decide.
    public func isSame(as other: ObjectVersion) -> Bool {
        etag == other.etag && (lastModified == nil || other.lastModified == nil || lastModified == other.lastModified)
    }
}
