import Catalog

/// Why a bucket's catalog could not be brought up to date. Nothing was half-applied, so the
/// changes can be delivered again.
public enum CatalogUpdateError: Error, CustomStringConvertible {
    /// The stored catalog is not a JSON array of entries. It is left exactly as it is.
    case corruptCatalog(bucket: String, key: String, CatalogError)
    /// Other writers kept winning the conditional write.
    case contended(bucket: String, key: String, attempts: Int)
    /// S3 failed (after the client's own retries), e.g. 403 or 5xx past the deadline.
    case storage(bucket: String, underlying: any Error)

    public var description: String {
        switch self {
        case .corruptCatalog(let bucket, let key, let error):
            "s3://\(bucket)/\(key) is not a valid catalog, left unchanged: \(error)"
        case .contended(let bucket, let key, let attempts):
            "s3://\(bucket)/\(key): still contended after \(attempts) conditional writes; the changes will be redelivered"
        case .storage(_, let underlying):
            "\(underlying)"
        }
    }
}
