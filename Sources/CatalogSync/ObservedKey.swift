import Catalog
import Storage

/// One key's observation: the entry it gives (`nil`: no object, or not an image) and the version
/// of the object it was read from, which the re-check after a write compares.
struct ObservedKey: Equatable {
    var key: String
    /// `nil`: there was no object.
    var version: ObjectVersion?
    var entry: CatalogEntry?
    /// Decided from the key alone (a folder marker): no request, so nothing to re-check.
    var fromKeyAlone = false

    var observation: Observation { Observation(name: key, entry: entry) }

    /// Whether `current` (from a HEAD or a listing) is still the version observed.
    func isCurrent(_ current: ObjectVersion?) -> Bool {
        switch (version, current) {
        case (nil, nil): true
        case (let seen?, let now?): seen.isSame(as: now)
        default: false
        }
    }
}
