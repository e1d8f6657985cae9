import Basics
import CatalogSync
import S3
import Storage

/// What the `catalog` and `reconcile` handlers read from the environment, once, at start-up:
/// S3 from the standard AWS variables, `CATALOG_KEY`, and the buckets served (`CATALOG_BUCKETS`
/// or `CATALOG_BUCKET`). No I/O, so a cold start reaches `/next` at once.
public struct CatalogConfiguration: Sendable {
    public var s3: S3Configuration
    /// `CATALOG_KEY`, default `images.json`.
    public var catalogKey: String
    /// The buckets whose notifications the `catalog` handler applies (all when unset).
    public var buckets: BucketAllowList
    /// libcurl's CA bundle (`SSL_CERT_FILE`).
    public var transport: TransportConfiguration

    public init(_ environment: Environment) throws(ConfigurationError) {
        do { s3 = try S3Configuration.fromEnvironment(environment) } catch {
            throw ConfigurationError("AWS", "configuration: \(error)")
        }
        catalogKey = environment.get("CATALOG_KEY") ?? "images.json"
        buckets = try BucketAllowList(environment)
        transport = try TransportConfiguration(environment)
    }

    /// The updater on a real S3 client, whose requests `meter` counts and times.
    public func makeUpdater(meter: S3Meter = S3Meter()) -> CatalogUpdater {
        let client = S3Client(configuration: s3, transport: transport.makeTransport(),
                              hooks: S3ClientHooks(requestDone: { meter.record($0) }))
        return CatalogUpdater(store: S3ObjectStore(client: client), catalogKey: catalogKey)
    }
}
