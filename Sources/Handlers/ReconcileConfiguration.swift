import Basics

/// The `reconcile` handler's environment: the catalog's, plus `CATALOG_BUCKET` (required) and
/// `CATALOG_PREFIX` (only objects and entries under it are looked at; default: all).
public struct ReconcileConfiguration: Sendable {
    public var catalog: CatalogConfiguration
    public var bucket: String
    public var prefix: String

    public init(_ environment: Environment) throws(ConfigurationError) {
        catalog = try CatalogConfiguration(environment)
        bucket = try environment.require("CATALOG_BUCKET", "it names the bucket whose catalog is reconciled")
        prefix = environment.get("CATALOG_PREFIX") ?? ""
    }
}
