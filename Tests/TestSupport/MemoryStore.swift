import Catalog
import ImageSniffer
import CatalogSync

/// An in-memory `CatalogStore` for unit tests of the update logic: it lets a test script exactly
/// when another writer, a delete or a conflict happens between two steps, which no real server
/// can be made to do on cue. (The same logic runs against a real S3 server in Tests/integration.)
public final class MemoryStore: CatalogStore {
    public struct Object { public var bytes: [UInt8]; public var etag: String }
    public var buckets: [String: [String: Object]] = [:]
    public init() {}

    /// Every request, e.g. `GET b/images.json`, `HEAD b/cat.jpg`, `PUT b/images.json`.
    public var requests: [String] = []
    /// Runs once, right before the next catalog write is evaluated.
    public var beforeWrite: (() -> Void)?
    /// Answer this many writes with `.conflict` regardless of the condition.
    public var forcedConflicts = 0

    public func put(_ bucket: String, _ key: String, _ text: String) { put(bucket, key, bytes: Array(text.utf8)) }

    public func put(_ bucket: String, _ key: String, bytes: [UInt8]) {
        buckets[bucket, default: [:]][key] = Object(bytes: bytes, etag: Self.etag(bytes))
    }

    /// A PNG as far as any header reader can tell: signature and IHDR, then `padding` bytes.
    public static func png(width: Int, height: Int, padding: Int = 0) -> [UInt8] {
        Build.png(width: width, height: height, padding: padding)
    }

    public func delete(_ bucket: String, _ key: String) { buckets[bucket]?[key] = nil }

    public func text(_ bucket: String, _ key: String) -> String? {
        buckets[bucket]?[key].map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// Like S3's ETag for a single PUT (an MD5 of the body), it depends only on the bytes.
    public static func etag(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }

    public func readCatalog(bucket: String, key: String, ifNoneMatch: String?) throws -> CatalogRead {
        requests.append("GET \(bucket)/\(key)" + (ifNoneMatch == nil ? "" : " if-none-match"))
        guard let object = buckets[bucket]?[key] else { return .missing }
        return object.etag == ifNoneMatch ? .unchanged : .found(bytes: object.bytes, etag: object.etag)
    }

    public func observe(bucket: String, key: String) throws -> ObjectObservation? {
        requests.append("HEAD \(bucket)/\(key)")
        return buckets[bucket]?[key].map {
            ObjectObservation(size: Int64($0.bytes.count), etag: $0.etag,
                              content: ImageSniffer.sniff(prefix: $0.bytes, totalSize: Int64($0.bytes.count)),
                              bytesRead: $0.bytes.count)
        }
    }

    public func list(bucket: String, prefix: String) throws -> [ListedObject] {
        requests.append("LIST \(bucket)")
        return (buckets[bucket] ?? [:]).filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key }.map {
            ListedObject(key: $0.key, size: Int64($0.value.bytes.count), etag: $0.value.etag)
        }
    }

    public func currentETag(bucket: String, key: String) throws -> String? {
        requests.append("HEAD \(bucket)/\(key)")
        return buckets[bucket]?[key]?.etag
    }

    public func writeCatalog(bucket: String, key: String, bytes: [UInt8], ifMatch: String?) throws -> WriteOutcome {
        if let hook = beforeWrite {
            beforeWrite = nil
            hook()
        }
        requests.append("PUT \(bucket)/\(key)")
        if forcedConflicts > 0 {
            forcedConflicts -= 1
            return .conflict
        }
        guard buckets[bucket]?[key]?.etag == ifMatch else { return .conflict }
        let etag = Self.etag(bytes)
        buckets[bucket, default: [:]][key] = Object(bytes: bytes, etag: etag)
        return .written(etag: etag)
    }
}
