/// What the HTTP API reads from its bucket, and the one thing it writes: the caller's own record.
///
/// There is deliberately no way to name a key: a request can only make the handler read the
/// catalog or the caller's own record, and write only that record, whatever its path, query or
/// token says. Path traversal
/// (`..`, `%2e%2e`, NUL bytes) cannot reach another key because no code path turns request text
/// into a key; the only request-derived part of a key is a subject that `Subject` validated.
public protocol ObjectStore {
    /// Reads `object`. With `ifNoneMatch` (a bare ETag, no quotes), an object that still has that
    /// ETag gives `.notModified` without its bytes, so an unchanged catalog is not downloaded.
    func read(_ object: StoredObject, ifNoneMatch: String?) throws -> StoreRead
    /// Writes the record of `subject` only if it is still the version read: `ifMatch` is that
    /// version's bare ETag, `nil` when there was none (then the write succeeds only if no record
    /// exists). A lost race is `.conflict`, never an overwrite.
    func writeRecord(of subject: Subject, bytes: [UInt8], ifMatch: String?) throws -> RecordWrite
    /// Requests (and their retries) must end by then: the invocation's deadline.
    func setDeadline(epochMs: Int64?)
}

extension ObjectStore {
    public func setDeadline(epochMs: Int64?) {}
}

