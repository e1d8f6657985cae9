import JSON

extension Catalog {
    /// What `upsert` did.
    public enum Change: Equatable, Sendable {
        /// A new entry, appended at the end.
        case added
        /// An existing entry changed, in place.
        case updated
        /// The entry already said exactly this (same bytes once serialised): nothing to write,
        /// so a redelivered event causes no catalog write.
        case unchanged
    }

    /// Adds `entry`, or updates the entry with the same name where it stands.
    ///
    /// With the default `.merge` policy, members of the existing entry that `entry` does not
    /// mention (e.g. a caption added by hand) are kept.
    ///
    /// `entry.name` must not be empty and `entry.size` not negative (S3 keys and sizes never
    /// are): the catalog never writes what loading would then refuse.
    @discardableResult
    public mutating func upsert(_ entry: CatalogEntry, policy: UpsertPolicy = .merge) -> Change {
        precondition(!entry.name.isEmpty && entry.size >= 0, "invalid catalog entry: empty name or negative size")
        guard let slot = nameIndex.slot(named: entry.name) else {
            let (start, length) = store(entry)
            let existing = nameIndex.add(entry.name)
            assert(existing == nil)
            slots.append(Slot(start: start, length: length, inSource: false))
            count += 1
            isModified = true
            return .added
        }
        let newBytes = entry.serialized()
        if withBytes(of: slot, { $0.elementsEqual(newBytes) }) { return .unchanged }
        let old = self.entry(at: slot)
        let merged = policy.combine(old, entry)
        if merged == old { return .unchanged }
        let (start, length) = store(merged)
        slots[slot].start = start
        slots[slot].length = length
        slots[slot].inSource = false
        isModified = true
        return .updated
    }

    /// Removes the entry for `name`; `false` when there was none.
    @discardableResult
    public mutating func remove(name: String) -> Bool {
        guard let slot = nameIndex.slot(named: name) else { return false }
        nameIndex.remove(slot: slot)
        slots[slot].isRemoved = true
        count -= 1
        isModified = true
        return true
    }
}
