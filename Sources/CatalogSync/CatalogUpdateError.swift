import Catalog
import CatalogFile

/// Why a bucket's catalog could not be brought up to date. Some changes may be in already (a
/// write kept before a later round failed); delivering them again is safe, as applying a
/// change twice gives the same catalog.
public enum CatalogUpdateError: Error, CustomStringConvertible {
    /// The stored catalog is not a JSON array of entries. It is left exactly as it is.
    case corruptCatalog(bucket: String, key: String, CatalogError)
    /// Other writers kept winning the conditional write.
    case contended(bucket: String, key: String, attempts: Int)
    /// S3 failed (after the client's own retries), e.g. 403 or 5xx past the deadline.
    case storage(bucket: String, underlying: any Error)
    /// The stored catalog is valid but not in imagecat's form, and too big to convert here.
    case unconvertible(bucket: String, key: String, CatalogFileError)

    /// `error` of the catalog of `bucket` at `key`.
    init(_ error: CatalogFileError, bucket: String, key: String) {
        switch error {
        case .corrupt(let problem): self = .corruptCatalog(bucket: bucket, key: key, problem)
        case .tooBigToConvert, .notIndexed: self = .unconvertible(bucket: bucket, key: key, error)
        case .storage(let underlying): self = .storage(bucket: bucket, underlying: underlying)
        case .changed: self = .contended(bucket: bucket, key: key, attempts: 0)
        }
    }

    public var description: String {
        switch self {
        case .corruptCatalog(let bucket, let key, let error):
            "s3://\(bucket)/\(key) is not a valid catalog, left unchanged: \(error)"
        case .contended(let bucket, let key, let attempts):
            "s3://\(bucket)/\(key): still contended after \(attempts) conditional writes; the changes will be redelivered"
        case .storage(_, let underlying):
            "\(underlying)"
        case .unconvertible(let bucket, let key, let error):
            "s3://\(bucket)/\(key) is left unchanged: \(error)"
        }
    }
}
