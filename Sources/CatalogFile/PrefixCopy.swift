import Catalog
import Storage

/// A multipart upload of the catalog whose first part is, or is to be, the prefix of the
/// catalog's versions (`CatalogIndex.Prefix`), copied server-side: what a write into the tail
/// completes (`CatalogFile.appended`). Created before the writer observes its keys
/// (`CatalogFile.prefixCopy`), its copy sent before the first reads and collected by the write
/// (`started`): the server copies while the writer observes, and the copy is not a step of its
/// own between reading the catalog and publishing.
public struct PrefixCopy {
    public let uploadID: String
    let prefix: CatalogIndex.Prefix
    /// The version the prefix is copied from; `nil`: from the prefix saved beside the catalog
    /// (`CatalogFile.prefixKey`), pinned to its ETag.
    let source: String?
    /// The copied part's ETag, once copied.
    public internal(set) var partETag: String?
    /// The copy, sent and not yet collected (`start`).
    var started: StartedPart?
    /// The versions whose indexes were read and name `prefix`.
    var known: Set<String>

    /// The request that copies the prefix (into the upload of the catalog `key`).
    public func part(of key: String) -> UploadPart {
        guard let source else {
            return UploadPart(number: 1, source: .copy(key: CatalogFile.prefixKey(prefix, of: key), range: 0..<prefix.length,
                                                       ifMatch: prefix.base!))
        }
        return UploadPart(number: 1, source: .copy(key: key, range: 0..<prefix.length, ifMatch: source))
    }

    /// This upload with its copy sent to `store` (the upload of the catalog `key`), to be
    /// collected by the write; as it is when sent already or copied.
    public func start(in store: any ObjectStore, bucket: String, key: String) -> PrefixCopy {
        guard partETag == nil, started == nil else { return self }
        var copy = self
        copy.started = store.startPart(bucket: bucket, key: key, uploadID: uploadID, part: part(of: key))
        return copy
    }

    /// This upload, its prefix to be copied from the catalog's version `etag`; a copy still in
    /// flight is collected first, so that no earlier copy lands in part 1 after the new one.
    func from(_ etag: String) -> PrefixCopy {
        _ = try? started?.etag()
        return PrefixCopy(uploadID: uploadID, prefix: prefix, source: etag, known: known)
    }

    /// This upload with its prefix copied as a part with ETag `etag`.
    public func copied(as etag: String) -> PrefixCopy {
        var copy = self
        copy.partETag = etag
        copy.started = nil
        return copy
    }
}
