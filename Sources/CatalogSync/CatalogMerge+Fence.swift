import Catalog
import Storage

extension CatalogMerge.Outcome {
    /// Whether a write with this outcome for a key, applying an older observation, may have
    /// replaced the entry of the key's current version `now` (`nil`: no object), which gives an
    /// entry (`givesEntry`: an image) or none; `nil` when that cannot be told without observing
    /// the key again (`givesEntry` unknown).
    ///
    /// Only such a write can have moved the key's entry away from its current version's, so
    /// only then must its writer go round for the key. A stale write over anything else needs
    /// no round: the current version's invocation has yet to read the catalog, or the write
    /// that last moved the entry off the current version's goes round itself (README, "Delivery
    /// guarantees", (2)). No entry and an entry are told apart, and two entries by the object
    /// version they record; an entry that records none may be anything.
    func mayHaveReplaced(_ now: ObjectVersion?, givesEntry: Bool?) -> Bool? {
        switch self {
        case .added:
            guard now != nil else { return true }                 // gone: no entry, as before the write
            return givesEntry.map { !$0 }
        case .updated(let old), .removed(let old):
            guard let now else { return false }
            if let recorded = old.objectVersion, !recorded.isSame(as: now) { return false }
            return givesEntry ?? true                            // an image once, an image again
        case .unchanged:
            return true
        }
    }
}

extension [CatalogMerge.Outcome] {
    /// `mayHaveReplaced` for a key that several writes changed (one landed, the others lost but
    /// maybe landed): `true` if any may have, `nil` if any cannot tell, and `true` when none is
    /// known (nothing tells then).
    func mayHaveReplaced(_ now: ObjectVersion?, givesEntry: Bool?) -> Bool? {
        let answers = map { $0.mayHaveReplaced(now, givesEntry: givesEntry) }
        return isEmpty || answers.contains(true) ? true : answers.contains(nil) ? nil : false
    }
}
