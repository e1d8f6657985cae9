import S3

/// `APIStore` on the real S3 client: one bucket, the catalog key, and `users/<sub>.json`.
public final class APIS3Store: APIStore {
    /// Where callers' records live. The catalog function is never triggered by them (its
    /// notification filter only matches the images prefix).
    public static let usersPrefix = "users/"

    public let client: S3Client
    public let bucket: String
    public let catalogKey: String

    public init(client: S3Client, bucket: String, catalogKey: String) {
        self.client = client
        self.bucket = bucket
        self.catalogKey = catalogKey
    }

    public func setDeadline(epochMs: Int64?) {
        client.stopRequests(beforeInvocationDeadline: epochMs)
    }

    /// The one place where objects become keys.
    public func key(for object: APIObject) -> String {
        switch object {
        case .catalog: catalogKey
        case .user(let subject): Self.usersPrefix + subject.value + ".json"
        }
    }

    public func read(_ object: APIObject, ifNoneMatch: String?) throws -> APIStoreRead {
        let key = key(for: object)
        do {
            switch try client.getObject(bucket: bucket, key: key, ifNoneMatch: ifNoneMatch.map { "\"\($0)\"" }) {
            case .notModified:
                return .notModified(etag: ifNoneMatch ?? "")
            case .object(let found):
                // S3 always sends an ETag; a server that does not still gets stable validators.
                let etag = found.etag.map(Self.unquoted) ?? "h" + APIETag.hexDigest(found.body)
                return .found(bytes: found.body, etag: etag)
            }
        } catch {
            if error.isNoSuchKey { return .missing }
            // Without s3:ListBucket (the API role deliberately has none) S3 answers a missing key
            // with 403 AccessDenied instead of 404. Only for users' records: a 403 on the
            // catalog is a real misconfiguration and must show as an error.
            if case .user = object, error.status == 403, error.code == "AccessDenied" { return .missing }
            throw error
        }
    }

    /// S3 sends ETags quoted (`"9b2cf5..."`); the API works with the bare value.
    static func unquoted(_ etag: String) -> String {
        var text = Substring(etag)
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        return text.count >= 2 && text.hasPrefix("\"") && text.hasSuffix("\"") ? String(text.dropFirst().dropLast()) : String(text)
    }
}
