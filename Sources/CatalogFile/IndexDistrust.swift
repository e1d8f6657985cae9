/// The versions whose index was found not to describe their bytes and could not be deleted
/// (the API's role may not delete indexes): their reads index them afresh instead of reading
/// the same index again. A reference, shared by every copy of a `CatalogFile` (the API's
/// layout, kept by its handler), so a warm process remembers it; a dropped index that could be
/// deleted needs no entry here.
public final class IndexDistrust: @unchecked Sendable {
    /// Index keys (`<bucket>/<catalog key>.index/<etag>`): the same bytes in two buckets have
    /// the same ETag.
    private var keys: [String] = []
    /// Versions remembered at most: the newest.
    static let limit = 64

    public init() {}

    func insert(_ key: String) {
        guard !keys.contains(key) else { return }
        keys.append(key)
        if keys.count > Self.limit { keys.removeFirst() }
    }

    func remove(_ key: String) { keys.removeAll { $0 == key } }

    func contains(_ key: String) -> Bool { keys.contains(key) }
}
