import JSON

/// What to do with members of an existing entry that a new observation of the same object does
/// not mention (a caption someone added by hand, or a `width` from an earlier version).
public struct UpsertPolicy: Equatable, Sendable {
    /// Keep members of the existing entry that the new entry does not have.
    public var keepsOtherMembers: Bool
    /// With `keepsOtherMembers`: members the caller owns, removed when the new entry lacks them
    /// (e.g. `width`/`height` once an image is replaced by a file that has none).
    public var managedKeys: Set<String>

    public init(keepsOtherMembers: Bool, managedKeys: Set<String> = []) {
        self.keepsOtherMembers = keepsOtherMembers
        self.managedKeys = managedKeys
    }

    /// The new entry replaces the old one entirely.
    public static let replace = UpsertPolicy(keepsOtherMembers: false)
    /// The new entry's members win; members only the old entry has are kept, in place.
    public static let merge = UpsertPolicy(keepsOtherMembers: true)
    /// Like `merge`, but members in `keys` are removed when the new entry lacks them.
    public static func merge(managing keys: Set<String>) -> UpsertPolicy {
        UpsertPolicy(keepsOtherMembers: true, managedKeys: keys)
    }

    /// The entry to store when `new` is observed for an object whose entry is `old`.
    func combine(_ old: CatalogEntry, _ new: CatalogEntry) -> CatalogEntry {
        guard keepsOtherMembers else { return new }
        var merged = old
        merged.name = new.name
        merged.type = new.type
        merged.size = new.size
        for member in new.extra.members {
            merged.extra[member.key] = member.value
        }
        if !managedKeys.isEmpty {
            merged.extra.members.removeAll { managedKeys.contains($0.key) && new.extra[$0.key] == nil }
        }
        return merged
    }
}
