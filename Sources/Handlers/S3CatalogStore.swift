import S3

/// `CatalogStore` on the real S3 client.
public final class S3CatalogStore: CatalogStore {
    public let client: S3Client

    public init(client: S3Client) { self.client = client }

    public func setDeadline(epochMs: Int64?) {
        // Keep time to report the failure before Lambda's own timeout cuts the process off.
        client.deadlineMs = epochMs.map { $0 - CatalogUpdater.deadlineMarginMs }
    }

    public func readCatalog(bucket: String, key: String) throws -> (bytes: [UInt8], etag: String)? {
        do {
            guard let object = try client.getObject(bucket: bucket, key: key).object, let etag = object.etag else {
                return nil
            }
            return (object.body, etag)
        } catch {
            if error.isNoSuchKey { return nil }
            throw error
        }
    }

    public func observe(bucket: String, key: String) throws -> ObjectObservation? {
        guard let info = try client.headObject(bucket: bucket, key: key), let etag = info.etag else { return nil }
        return ObjectObservation(size: info.totalSize, etag: Self.unquoted(etag),
                                 lastModified: info.lastModified.flatMap(HTTPDate.iso8601),
                                 contentType: info.contentType)
    }

    public func currentETag(bucket: String, key: String) throws -> String? {
        try client.headObject(bucket: bucket, key: key)?.etag.map(Self.unquoted)
    }

    public func writeCatalog(bucket: String, key: String, bytes: [UInt8], ifMatch: String?) throws -> WriteOutcome {
        do {
            let result = try client.putObject(bucket: bucket, key: key, body: bytes, contentType: "application/json",
                                              condition: ifMatch.map { .ifMatch($0) } ?? .ifNoneExists)
            return .written(etag: result.etag)
        } catch {
            // (Not `catch where`: that pattern crashes the 6.3 compiler on typed throws.)
            if error.isPreconditionFailed || error.isConflict { return .conflict }
            throw error
        }
    }

    /// S3 sends ETags quoted (`"9b2cf5..."`); the catalog stores the bare value.
    static func unquoted(_ etag: String) -> String {
        etag.count >= 2 && etag.hasPrefix("\"") && etag.hasSuffix("\"") ? String(etag.dropFirst().dropLast()) : etag
    }
}
