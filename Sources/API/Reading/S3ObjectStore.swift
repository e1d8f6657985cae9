import Basics
import S3

/// `ObjectStore` on the real S3 client: one bucket, the catalog key, and `users/<sub>.json`.
public final class S3ObjectStore: ObjectStore {
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
    public func key(for object: StoredObject) -> String {
        switch object {
        case .catalog: catalogKey
        case .user(let subject): Self.usersPrefix + subject.value + ".json"
        }
    }

    public func read(_ object: StoredObject, ifNoneMatch: String?) throws -> StoreRead {
        let key = key(for: object)
        do {
            switch try client.getObject(bucket: bucket, key: key, ifNoneMatch: ifNoneMatch.map { "\"\($0)\"" }) {
            case .notModified:
                return .notModified(etag: ifNoneMatch ?? "")
            case .object(let found):
                // S3 always sends an ETag; a server that does not still gets stable validators.
                let etag = found.etag.map { ETag.unquoted($0) } ?? "h" + ResponseETag.hexDigest(found.body)
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
}
