import Catalog

/// Per-bucket catalogs a warm process keeps (see `CatalogUpdater.cache`). A class, so that the
/// copies of a `CatalogUpdater` share it.
public final class CatalogCache {
    public var entries: [String: (etag: String, catalog: Catalog)] = [:]
    public init() {}
}
