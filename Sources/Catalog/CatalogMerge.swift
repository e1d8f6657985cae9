import Basics

/// Applies observations to a sorted run of entries, writing the result: the one place where an
/// observation becomes an added, updated, removed or unchanged entry. Both runs are in name
/// order, so this is a single merge walk, and entries no observation names are copied byte for
/// byte (same escapes, same number literals, same member order).
public enum CatalogMerge {
    /// What applying one observation did.
    public enum Outcome: Equatable, Sendable {
        /// A new entry.
        case added
        /// An existing entry changed; `from` is the entry it replaced.
        case updated(from: CatalogEntry)
        /// An entry removed (`from`): its object is gone, or is not an image any more.
        case removed(from: CatalogEntry)
        /// The entry already said exactly this (same bytes once serialised), or a key with no
        /// entry was observed gone: nothing to write, so a redelivered event causes no write.
        case unchanged

        public var changed: Bool { self != .unchanged }
    }

    /// Writes items `items` of `run` with `observations` applied into `writer`.
    /// `observations` must be sorted by name (UTF-8 bytes) without duplicates, and lie within
    /// the names this stretch covers. Returns one outcome per observation, in their order.
    public static func merge(_ run: EntryRun, items: Range<Int>, observations: ArraySlice<Observation>,
                             policy: UpsertPolicy, into writer: inout RunWriter) -> [Outcome] {
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(observations.count)
        var i = items.lowerBound
        var j = observations.startIndex
        func copy(_ i: Int) { writer.append(run.entryBytes(i), name: run.nameBytes(i), type: run.items[i].type) }
        func write(_ entry: CatalogEntry) {
            writer.append(entry.serialized(), name: Array(entry.name.utf8), type: entry.type)
        }
        while i < items.upperBound || j < observations.endIndex {
            let order: Int
            if i == items.upperBound { order = 1 } else if j == observations.endIndex { order = -1 } else {
                let name = run.nameBytes(i), wanted = observations[j].name.utf8
                order = name.elementsEqual(wanted) ? 0 : name.lexicographicallyPrecedes(wanted) ? -1 : 1
            }
            if order < 0 {                                   // an entry nobody observed
                copy(i)
                i += 1
                continue
            }
            let observation = observations[j]
            j += 1
            if order > 0 {                                   // no entry yet
                if var entry = observation.entry {
                    entry.name = observation.name
                    write(entry)
                    outcomes.append(.added)
                } else {
                    outcomes.append(.unchanged)
                }
                continue
            }
            defer { i += 1 }                                 // the same name
            guard var entry = observation.entry else {
                outcomes.append(.removed(from: run.entry(i)))
                continue
            }
            entry.name = observation.name
            if run.entryBytes(i).elementsEqual(entry.serialized()) {
                copy(i)
                outcomes.append(.unchanged)
                continue
            }
            let old = run.entry(i)
            let merged = policy.combine(old, entry)
            if merged == old {
                copy(i)
                outcomes.append(.unchanged)
            } else {
                write(merged)
                outcomes.append(.updated(from: old))
            }
        }
        return outcomes
    }
}

extension CatalogMerge {
    /// `observations` (in any order; the last of a name wins) applied to `run`, a whole catalog:
    /// one outcome per distinct name, in name order, and the new catalog, written and framed.
    public static func apply(_ observations: [Observation], to run: EntryRun, policy: UpsertPolicy,
                             blockTarget: Int = CatalogIndex.blockTarget(forSize: 0),
                             types: TypeTable = TypeTable()) -> (outcomes: [Outcome], writer: RunWriter) {
        var writer = RunWriter(atFileStart: true, blockTarget: blockTarget, types: types)
        let outcomes = merge(run, items: 0..<run.count, observations: Observation.sortedLatest(observations)[...], policy: policy,
                             into: &writer)
        _ = writer.finish(atFileEnd: true)
        return (outcomes, writer)
    }
}
