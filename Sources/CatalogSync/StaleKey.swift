import Storage

/// A key a re-check found no longer the version observed, and what its HEAD said.
struct StaleKey: Equatable {
    enum Now: Equatable {
        /// The version now; `nil`: no object.
        case found(ObjectVersion?)
        /// S3 refused the HEAD: only observing the key again tells.
        case refused
    }

    /// Its position in the keys re-checked.
    var position: Int
    var now: Now
}
