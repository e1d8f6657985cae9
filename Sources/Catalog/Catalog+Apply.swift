import Basics

extension Catalog {
    /// What is now true of one S3 key: its entry, or `nil` when the object no longer exists.
    public struct Observation: Equatable, Sendable {
        public var name: String
        public var entry: CatalogEntry?

        /// When `entry` is given it is stored under `name` (its own `name` is replaced).
        public init(name: String, entry: CatalogEntry?) {
            self.name = name
            self.entry = entry
        }

        public static func exists(_ entry: CatalogEntry) -> Observation { Observation(name: entry.name, entry: entry) }
        public static func missing(_ name: String) -> Observation { Observation(name: name, entry: nil) }
    }

    /// What `apply` did, counted per distinct key.
    public struct ApplySummary: Equatable, Sendable {
        public var added = 0
        public var updated = 0
        public var removed = 0
        /// Keys whose entry already matched (including removals of keys that had no entry).
        public var unchanged = 0
        /// Duplicate entries collapsed when the catalog was loaded (see `Catalog.duplicatesRemoved`).
        public var duplicatesRemoved = 0

        public init(added: Int = 0, updated: Int = 0, removed: Int = 0, unchanged: Int = 0, duplicatesRemoved: Int = 0) {
            self.added = added
            self.updated = updated
            self.removed = removed
            self.unchanged = unchanged
            self.duplicatesRemoved = duplicatesRemoved
        }

        /// Whether the catalog file must be written: this batch changed an entry, or loading
        /// collapsed duplicates.
        public var changed: Bool { added + updated + removed + duplicatesRemoved > 0 }
    }

    /// Applies a batch of observations. Only the last observation of each key counts (the caller
    /// passes them oldest first); keys are applied in order of first appearance, so new entries
    /// are appended in that order. Idempotent: applying the same batch again reports no change.
    public mutating func apply(_ observations: [Observation], policy: UpsertPolicy = .merge) -> ApplySummary {
        var latest: [ExactKey: Int] = [:]
        var order: [ExactKey] = []
        for (i, observation) in observations.enumerated() {
            let key = ExactKey(observation.name)
            if latest.updateValue(i, forKey: key) == nil { order.append(key) }
        }
        var summary = ApplySummary(duplicatesRemoved: duplicatesRemoved)
        for key in order {
            let observation = observations[latest[key]!]
            if var entry = observation.entry {
                entry.name = observation.name
                switch upsert(entry, policy: policy) {
                case .added: summary.added += 1
                case .updated: summary.updated += 1
                case .unchanged: summary.unchanged += 1
                }
            } else if remove(name: observation.name) {
                summary.removed += 1
            } else {
                summary.unchanged += 1
            }
        }
        return summary
    }

    /// `apply` for `(name, entry)` pairs; `entry == nil` means the object no longer exists.
    public mutating func apply(
        _ observations: [(name: String, entry: CatalogEntry?)], policy: UpsertPolicy = .merge
    ) -> ApplySummary {
        apply(observations.map { Observation(name: $0.name, entry: $0.entry) }, policy: policy)
    }
}
