/// The only objects the API ever reads.
public enum StoredObject: Equatable, Sendable {
    /// The catalog (`CATALOG_KEY`, default `images.json`).
    case catalog
    /// A caller's record: `users/<sub>.json`.
    case user(Subject)
}
