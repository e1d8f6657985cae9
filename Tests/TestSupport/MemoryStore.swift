import Catalog
import ImageSniffer
import CatalogSync

/// An in-memory `CatalogStore` for unit tests of the update logic: it lets a test script exactly
/// when another writer, a delete or a conflict happens between two steps, which no real server
/// can be made to do on cue. (The same logic runs against a real S3 server in Tests/integration.)
/// Keys are byte-exact, as in S3.
public final class MemoryStore: CatalogStore {
    public struct Object {
        public var bytes: [UInt8]
        public var etag: String
        public var lastModified: String
    }
    public var buckets: [String: [ExactKey: Object]] = [:]
    public init() {}

    /// Every request, one line per key: `GET b/images.json` (a catalog or state read),
    /// `OBSERVE b/cat.jpg` (its head's ranged GETs), `HEAD b/cat.jpg`, `PUT b/images.json`,
    /// `LIST b images/ after images/a`.
    public var requests: [String] = []
    /// Calls to the store: a batch of keys counts once (its requests run concurrently).
    public var roundTrips = 0
    /// Runs once, right before the next catalog write is evaluated.
    public var beforeWrite: (() -> Void)?
    /// Runs before each request is answered, with its line: scripts interleavings anywhere.
    public var onRequest: ((String) -> Void)?
    /// Answer this many writes with `.conflict` regardless of the condition.
    public var forcedConflicts = 0
    /// Per-key failures of observations and of HEADs.
    public var observeErrors: [ExactKey: KeyReadError] = [:]
    public var headErrors: [ExactKey: KeyReadError] = [:]
    /// Keys the listing leaves out (as a server may list a key under another name).
    public var unlisted: Set<ExactKey> = []
    /// When set, every listing fails with it (as a server that refuses a listing's parameters).
    public var listError: (any Error)?
    /// Last-Modified times come from a counter: every put is a new second.
    private var clock = 0

    public func put(_ bucket: String, _ key: String, _ text: String) { put(bucket, key, bytes: Array(text.utf8)) }

    public func put(_ bucket: String, _ key: String, bytes: [UInt8]) {
        clock += 1
        let time = "2026-01-01T\(pad(clock / 3600 % 24)):\(pad(clock / 60 % 60)):\(pad(clock % 60))Z"
        buckets[bucket, default: [:]][ExactKey(key)] = Object(bytes: bytes, etag: Self.etag(bytes), lastModified: time)
    }

    private func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// A PNG as far as any header reader can tell: signature and IHDR, then `padding` bytes.
    public static func png(width: Int, height: Int, padding: Int = 0) -> [UInt8] {
        Build.png(width: width, height: height, padding: padding)
    }

    public func delete(_ bucket: String, _ key: String) { buckets[bucket]?[ExactKey(key)] = nil }

    public func object(_ bucket: String, _ key: String) -> Object? { buckets[bucket]?[ExactKey(key)] }

    public func text(_ bucket: String, _ key: String) -> String? {
        object(bucket, key).map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// Like S3's ETag for a single PUT (an MD5 of the body), it depends only on the bytes.
    public static func etag(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }

    private func record(_ line: String) {
        onRequest?(line)
        requests.append(line)
    }

    public func readCatalog(bucket: String, key: String, ifNoneMatch: String?) throws -> CatalogRead {
        roundTrips += 1
        record("GET \(bucket)/\(key)" + (ifNoneMatch == nil ? "" : " if-none-match"))
        guard let object = object(bucket, key) else { return .missing }
        return object.etag == ifNoneMatch ? .unchanged : .found(bytes: object.bytes, etag: object.etag)
    }

    public func observe(bucket: String, keys: [String]) -> [Result<ObjectObservation?, KeyReadError>] {
        roundTrips += 1
        return keys.map { key in
            record("OBSERVE \(bucket)/\(key)")
            if let error = observeErrors[ExactKey(key)] { return .failure(error) }
            return .success(object(bucket, key).map {
                ObjectObservation(size: Int64($0.bytes.count), etag: $0.etag, lastModified: $0.lastModified,
                                  content: ImageSniffer.sniff(prefix: $0.bytes, totalSize: Int64($0.bytes.count)),
                                  bytesRead: $0.bytes.count)
            })
        }
    }

    public func versions(bucket: String, keys: [String]) -> [Result<ObjectVersion?, KeyReadError>] {
        roundTrips += 1
        return keys.map { key in
            record("HEAD \(bucket)/\(key)")
            if let error = headErrors[ExactKey(key)] { return .failure(error) }
            return .success(object(bucket, key).map { ObjectVersion(etag: $0.etag, lastModified: $0.lastModified) })
        }
    }

    public func listPage(bucket: String, prefix: String, startAfter: String?, maxKeys: Int) throws -> ListedPage {
        roundTrips += 1
        record("LIST \(bucket)" + (prefix.isEmpty ? "" : " \(prefix)") + (startAfter.map { " after \($0)" } ?? ""))
        if let listError { throw listError }
        let from = startAfter.map(ExactKey.init)
        let matching = (buckets[bucket] ?? [:])
            .filter { object in object.key.hasPrefix(ExactKey(prefix)) && (from.map { $0 < object.key } ?? true) }
            .filter { !unlisted.contains($0.key) }
            .sorted { $0.key < $1.key }
        // A listing's time has milliseconds, as S3's does.
        let objects = matching.prefix(maxKeys).map {
            ListedObject(key: String(decoding: $0.key.bytes, as: UTF8.self), size: Int64($0.value.bytes.count),
                         etag: $0.value.etag, lastModified: $0.value.lastModified.dropLast() + ".000Z")
        }
        return ListedPage(objects: Array(objects), isTruncated: matching.count > maxKeys)
    }

    public func writeCatalog(bucket: String, key: String, bytes: [UInt8], ifMatch: String?) throws -> WriteOutcome {
        roundTrips += 1
        if let hook = beforeWrite {
            beforeWrite = nil
            hook()
        }
        record("PUT \(bucket)/\(key)")
        if forcedConflicts > 0 {
            forcedConflicts -= 1
            return .conflict
        }
        guard object(bucket, key)?.etag == ifMatch else { return .conflict }
        put(bucket, key, bytes: bytes)
        return .written(etag: object(bucket, key)!.etag)
    }
}
