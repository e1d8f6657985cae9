/// What applying a batch of observations did, counted per distinct key.
public struct ApplySummary: Equatable, Sendable {
    public var added = 0
    public var updated = 0
    public var removed = 0
    /// Keys whose entry already matched (including removals of keys that had no entry).
    public var unchanged = 0
    /// Duplicate entries collapsed when the catalog was read (a hand edit's; see `Catalog`).
    public var duplicatesRemoved = 0

    public init(added: Int = 0, updated: Int = 0, removed: Int = 0, unchanged: Int = 0, duplicatesRemoved: Int = 0) {
        self.added = added
        self.updated = updated
        self.removed = removed
        self.unchanged = unchanged
        self.duplicatesRemoved = duplicatesRemoved
    }

    public init(_ outcomes: [CatalogMerge.Outcome]) {
        for outcome in outcomes {
            switch outcome {
            case .added: added += 1
            case .updated: updated += 1
            case .removed: removed += 1
            case .unchanged: unchanged += 1
            }
        }
    }

    /// Whether anything was applied: a write is needed.
    public var changed: Bool { added + updated + removed > 0 }

    public static func + (a: ApplySummary, b: ApplySummary) -> ApplySummary {
        ApplySummary(added: a.added + b.added, updated: a.updated + b.updated, removed: a.removed + b.removed,
                     unchanged: a.unchanged + b.unchanged, duplicatesRemoved: a.duplicatesRemoved + b.duplicatesRemoved)
    }
}
