/// What keeping a catalog needs from a bucket, and nothing more. `S3CatalogStore` is the real
/// one; the protocol lets the race-handling logic be tested with scripted interleavings.
///
/// The per-key operations take a whole batch: a store runs them concurrently (S3 is 10–30 ms
/// away) and answers one result per key, in the order given, so one key's failure never hides
/// another key's answer.
public protocol CatalogStore {
    /// The object's bytes and ETag; `.unchanged` when its ETag is still `ifNoneMatch` (a 304:
    /// nothing downloaded), `.missing` when it does not exist yet. (The catalog, and the
    /// reconcile's small state object.)
    func readCatalog(bucket: String, key: String, ifNoneMatch: String?) throws -> CatalogRead
    /// S3's current truth for each key (`nil`: no such object), reading only as much of each
    /// object's head as it takes to tell its format and size; all of one key's bytes come from
    /// one version of it.
    func observe(bucket: String, keys: [String]) -> [Result<ObjectObservation?, KeyReadError>]
    /// Each key's current ETag and Last-Modified (`nil`: no such object): the cheap re-check.
    func versions(bucket: String, keys: [String]) -> [Result<ObjectVersion?, KeyReadError>]
    /// Writes only if the object is still the version read (`ifMatch`), or still absent
    /// (`ifMatch == nil`). Someone else having written first is `.conflict`, not an error.
    func writeCatalog(bucket: String, key: String, bytes: [UInt8], ifMatch: String?) throws -> WriteOutcome
    /// One page of the objects under `prefix` whose keys sort (as UTF-8 bytes) after
    /// `startAfter`, at most `maxKeys` of them, in key order.
    func listPage(bucket: String, prefix: String, startAfter: String?, maxKeys: Int) throws -> ListedPage
    /// Requests (and their retries) must end by then: the invocation's deadline.
    func setDeadline(epochMs: Int64?)
}

extension CatalogStore {
    public func setDeadline(epochMs: Int64?) {}
}
