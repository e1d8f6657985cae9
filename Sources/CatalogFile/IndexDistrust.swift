/// The versions whose index was found not to describe their bytes and could not be deleted
/// (the API's role may not delete indexes): their reads index them afresh instead of reading
/// the same index again. A reference, shared by every copy of a `CatalogFile` (the API's
/// layout, kept by its handler), so a warm process remembers it; a dropped index that could be
/// deleted needs no entry here.
public final class IndexDistrust: @unchecked Sendable {
    private var etags: [String] = []
    /// Versions remembered at most: the newest.
    static let limit = 64

    public init() {}

    func insert(_ etag: String) {
        guard !etags.contains(etag) else { return }
        etags.append(etag)
        if etags.count > Self.limit { etags.removeFirst() }
    }

    func contains(_ etag: String) -> Bool { etags.contains(etag) }
}
