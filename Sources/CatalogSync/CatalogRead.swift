public enum CatalogRead: Equatable, Sendable {
    case found(bytes: [UInt8], etag: String)
    case unchanged
    case missing
}
