/// What the HTTP API reads from its bucket, and nothing more.
///
/// There is deliberately no way to name a key: a request can only make the handler read the
/// catalog or the caller's own record, whatever its path, query or token says. Path traversal
/// (`..`, `%2e%2e`, NUL bytes) cannot reach another key because no code path turns request text
/// into a key; the only request-derived part of a key is a subject that `Subject` validated.
public protocol ObjectStore {
    /// Reads `object`. With `ifNoneMatch` (a bare ETag, no quotes), an object that still has that
    /// ETag gives `.notModified` without its bytes, so an unchanged catalog is not downloaded.
    func read(_ object: StoredObject, ifNoneMatch: String?) throws -> StoreRead
    /// Requests (and their retries) must end by then: the invocation's deadline.
    func setDeadline(epochMs: Int64?)
}

extension ObjectStore {
    public func setDeadline(epochMs: Int64?) {}
}

