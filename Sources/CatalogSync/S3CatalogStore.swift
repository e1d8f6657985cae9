import Basics
import S3

/// `CatalogStore` on the real S3 client. Batches go through the client's concurrent batch
/// operations (`S3Client.maxConcurrentRequests` at a time); see `S3CatalogStore+Observe.swift`
/// for the observations.
public final class S3CatalogStore: CatalogStore {
    public let client: S3Client
    /// Bytes asked for beyond what the sniffer needs, on each read after the first: a JPEG whose
    /// frame header sits behind 60 KB of EXIF then takes two or three round trips, not six.
    public var readAhead = 16 * 1024
    /// The first read of every key: enough for almost every image's header.
    public var firstRead = 4096

    public init(client: S3Client) { self.client = client }

    public func setDeadline(epochMs: Int64?) {
        client.stopRequests(beforeInvocationDeadline: epochMs)
    }

    public func readCatalog(bucket: String, key: String, ifNoneMatch: String?) throws -> CatalogRead {
        do {
            switch try client.getObject(bucket: bucket, key: key, ifNoneMatch: ifNoneMatch) {
            case .notModified: return .unchanged
            case .object(let object):
                guard let etag = object.etag else { return .missing }
                return .found(bytes: object.body, etag: etag)
            }
        } catch {
            // (Not `catch where`: that pattern crashes the 6.3 compiler on typed throws.)
            if error.isNoSuchKey { return .missing }
            throw error
        }
    }

    public func versions(bucket: String, keys: [String]) -> [Result<ObjectVersion?, KeyReadError>] {
        client.headObjects(bucket: bucket, keys: keys).map { answer in
            switch answer {
            case .success(let info):
                return .success(info.map { Self.version(of: $0) })
            case .failure(let error):
                return .failure(KeyReadError(error))
            }
        }
    }

    static func version(of info: S3ObjectInfo) -> ObjectVersion {
        ObjectVersion(etag: info.etag.map { ETag.unquoted($0) } ?? "",
                      lastModified: info.lastModified.flatMap { UTCTime.iso8601(fromHTTPDate: $0) })
    }

    public func listPage(bucket: String, prefix: String, startAfter: String?, maxKeys: Int) throws -> ListedPage {
        let page = try client.listObjectsV2(bucket: bucket, prefix: prefix.isEmpty ? nil : prefix,
                                            startAfter: startAfter, maxKeys: maxKeys)
        return ListedPage(objects: page.entries.map {
            ListedObject(key: $0.key, size: $0.size, etag: $0.etag.map { ETag.unquoted($0) }, lastModified: $0.lastModified)
        }, isTruncated: page.isTruncated)
    }

    public func writeCatalog(bucket: String, key: String, bytes: [UInt8], ifMatch: String?) throws -> WriteOutcome {
        do {
            let result = try client.putObject(bucket: bucket, key: key, body: bytes, contentType: "application/json",
                                              condition: ifMatch.map { .ifMatch($0) } ?? .ifNoneExists)
            return .written(etag: result.etag)
        } catch {
            if error.isConditionalWriteLost { return .conflict }
            throw error
        }
    }
}
