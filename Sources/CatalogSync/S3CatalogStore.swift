import Basics
import ImageSniffer
import S3

/// `CatalogStore` on the real S3 client.
public final class S3CatalogStore: CatalogStore {
    public let client: S3Client
    /// Bytes asked for beyond what the sniffer needs, on each read after the first: a JPEG whose
    /// frame header sits behind 60 KB of EXIF then takes two or three round trips, not six.
    public var readAhead = 16 * 1024

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

    /// Ranged GETs of the object's head until the sniffer has its answer. Every read after the
    /// first carries `If-Match` with the first read's ETag, so the bytes all come from one
    /// version; if the object is replaced meanwhile, the observation starts over.
    public func observe(bucket: String, key: String) throws -> ObjectObservation? {
        for _ in 1...3 {
            var first: S3ObjectInfo?
            var gone = false
            do throws(S3Error) {
                let (result, bytesRead, _) = try ImageSniffer.sniff(totalSize: nil, readAhead: readAhead) {
                    range throws(S3Error) -> [UInt8] in
                    guard !range.isEmpty, !gone else { return [] }
                    do throws(S3Error) {
                        let r = S3ByteRange(first: Int64(range.lowerBound), last: Int64(range.upperBound - 1))
                        guard let object = try client.getObject(bucket: bucket, key: key, range: r, ifMatch: first?.etag).object else {
                            return []
                        }
                        if first == nil { first = object.info }
                        return object.body
                    } catch {
                        if error.status == 416 { return [] }      // past the end, or an empty object
                        if error.isNoSuchKey && first == nil { gone = true; return [] }
                        throw error
                    }
                }
                if gone { return nil }
                if first == nil { first = try client.headObject(bucket: bucket, key: key) }   // empty object
                guard let info = first, let etag = info.etag else { return nil }
                return ObjectObservation(size: info.totalSize, etag: ETag.unquoted(etag),
                                         lastModified: info.lastModified.flatMap { UTCTime.iso8601(fromHTTPDate: $0) },
                                         content: result, bytesRead: bytesRead)
            } catch {
                if !error.isPreconditionFailed { throw error }      // replaced mid-read: look again
            }
        }
        throw CatalogStoreError.unstable(bucket: bucket, key: key)
    }

    public func list(bucket: String, prefix: String) throws -> [ListedObject] {
        try client.listAllObjects(bucket: bucket, prefix: prefix.isEmpty ? nil : prefix).map {
            ListedObject(key: $0.key, size: $0.size, etag: $0.etag.map { ETag.unquoted($0) })
        }
    }

    public func currentETag(bucket: String, key: String) throws -> String? {
        try client.headObject(bucket: bucket, key: key)?.etag.map { ETag.unquoted($0) }
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

