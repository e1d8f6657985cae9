import Basics

/// What is now true of one S3 key: its entry, or `nil` when the object no longer exists (or is
/// not an image).
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

    /// `observations` in name order (UTF-8 bytes), each name once: the last observation of a
    /// name wins (callers pass them oldest first).
    public static func sortedLatest(_ observations: [Observation]) -> [Observation] {
        var latest: [ExactKey: Int] = [:]
        for (i, observation) in observations.enumerated() { latest[ExactKey(observation.name)] = i }
        return latest.sorted { $0.key < $1.key }.map { observations[$0.value] }
    }
}
