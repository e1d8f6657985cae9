/// What keeping a catalog needs from a bucket, and nothing more. `S3CatalogStore` is the real
/// one; the protocol lets the race-handling logic be tested with scripted interleavings.
public protocol CatalogStore {
    /// The catalog's bytes and ETag; `.unchanged` when its ETag is still `ifNoneMatch` (a 304:
    /// nothing downloaded), `.missing` when it does not exist yet.
    func readCatalog(bucket: String, key: String, ifNoneMatch: String?) throws -> CatalogRead
    /// S3's current truth for one object, or `nil` when it does not exist. Reads only as
    /// much of the object's head as it takes to tell its format and size (ranged GETs).
    func observe(bucket: String, key: String) throws -> ObjectObservation?
    /// The object's current ETag, or `nil` when it does not exist (a cheap re-check).
    func currentETag(bucket: String, key: String) throws -> String?
    /// Writes the catalog only if it is still the version read (`ifMatch`), or still absent
    /// (`ifMatch == nil`). Someone else having written first is `.conflict`, not an error.
    func writeCatalog(bucket: String, key: String, bytes: [UInt8], ifMatch: String?) throws -> WriteOutcome
    /// Every object in the bucket under `prefix` (all pages), for the reconcile.
    func list(bucket: String, prefix: String) throws -> [ListedObject]
    /// Requests (and their retries) must end by then: the invocation's deadline.
    func setDeadline(epochMs: Int64?)
}

extension CatalogStore {
    public func setDeadline(epochMs: Int64?) {}
}

